import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, desc, eq } from 'drizzle-orm';
import { canaryConfig } from '../../contract/canary.ts';
import { firstIssue } from '../../contract/errors.ts';
import { applicationName } from '../../contract/names.ts';
import { canaryConfigs, canaryConfigVersions } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertApplication, assertScope, type Principal } from '../auth/principal.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { auditInsert } from '../lib/audit.ts';
import { database, type Database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { errorText, expectedVersion, idParam, ifMatchHeader, isUniqueViolation, versionParam } from '../lib/versioning.ts';
import { isoOf } from '../lib/time.ts';
import { loadApplication } from './applications.ts';

type Row = typeof canaryConfigs.$inferSelect;
type VersionRow = typeof canaryConfigVersions.$inferSelect;

/** A stored canary config as the API returns it. */
export const storedCanaryConfig = z.object({
  id: z.string(),
  application: z.string(),
  name: z.string(),
  version: z.number().int(),
  config: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
/** One saved version of a canary config. */
export const canaryConfigVersion = z.object({
  configId: z.string(),
  version: z.number().int(),
  config: z.record(z.string(), z.unknown()),
  author: z.string(),
  action: z.enum(['create', 'update', 'restore']),
  note: z.string().nullable(),
  createdAt: z.string(),
});

const view = (r: Row): z.infer<typeof storedCanaryConfig> => ({
  id: r.id,
  application: r.application,
  name: r.name,
  version: r.version,
  config: r.config,
  createdAt: isoOf(r.createdAt),
  updatedAt: isoOf(r.updatedAt),
  updatedBy: r.updatedBy,
});
const versionView = (r: VersionRow): z.infer<typeof canaryConfigVersion> => ({
  configId: r.configId,
  version: r.version,
  config: r.config,
  author: r.author,
  action: r.action,
  note: r.note,
  createdAt: isoOf(r.createdAt),
});

type Validated = { name: string; config: Record<string, unknown> };

/**
 * Validates a canary config with the judge's schema (defaults filled in); a stored config must also
 * carry a name, its key within the application. A failure is a 400 naming the JSON path in the body.
 */
function validConfig(input: unknown, prefix = ''): Validated {
  const parsed = canaryConfig.safeParse(input);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw badRequest(field, prefix + message);
  }
  const name = parsed.data.name?.trim();
  if (!name) throw badRequest('name', `${prefix}name: required (a stored canary config needs a name)`);
  return { name, config: { ...parsed.data, name } as Record<string, unknown> };
}

async function loadConfig(db: Database, p: Principal, id: string): Promise<Row> {
  const row = await db.select().from(canaryConfigs).where(eq(canaryConfigs.id, id)).get();
  if (!row) throw notFound(`canary config "${id}"`);
  assertApplication(p, row.application);
  return row;
}

const nameClash = (app: string, name: string) => conflict(`application "${app}" already has a canary config named "${name}"`, 'name');

async function assertNameFree(db: Database, app: string, name: string, exceptId?: string) {
  const clash = await db
    .select({ id: canaryConfigs.id })
    .from(canaryConfigs)
    .where(and(eq(canaryConfigs.application, app), eq(canaryConfigs.name, name)))
    .get();
  if (clash && clash.id !== exceptId) throw nameClash(app, name);
}

type Ctx = Parameters<typeof auditInsert>[1];

/** The batch that stores version `version` of a canary config and its history row, with audit. */
function saveStatements(db: Database, c: Ctx, row: Row, action: VersionRow['action'], note: string | null, exists: boolean) {
  return [
    exists
      ? db.update(canaryConfigs).set(row).where(and(eq(canaryConfigs.id, row.id), eq(canaryConfigs.version, row.version - 1)))
      : db.insert(canaryConfigs).values(row),
    db.insert(canaryConfigVersions).values({
      configId: row.id,
      version: row.version,
      config: row.config,
      author: row.updatedBy,
      action,
      note,
      createdAt: row.updatedAt,
    }),
    auditInsert(db, c, { action: `canary-config.${action}`, resourceType: 'canary-config', resourceId: row.id, application: row.application, details: { name: row.name, version: row.version } }, row.updatedAt),
  ] as const;
}


/** Saves a new version with compare-and-set on the previous version, so two racing saves cannot both win. */
async function commitVersion(db: Database, c: Ctx, next: Row, action: VersionRow['action'], note: string | null = null) {
  try {
    await db.batch(saveStatements(db, c, next, action, note, true));
  } catch (err) {
    if (isUniqueViolation(err)) {
      // Either the history key (config, version) rejected the loser of a race, or a rename raced onto a taken name.
      if (/canary_configs\.(application|name)|canary_configs_app_name/i.test(errorText(err))) {
        throw nameClash(next.application, next.name);
      }
      throw conflict(`canary config was saved by someone else meanwhile (version ${next.version} exists); reload`);
    }
    throw err;
  }
}

const mw = [authenticate];
const configBody = jsonBody(z.record(z.string(), z.unknown()), 'A canary config (Kayenta shape: name, metrics, classifier)');

const list = createRoute({
  method: 'get', path: '/applications/{app}/canary-configs', tags: ['canary'], middleware: mw,
  request: { params: z.object({ app: applicationName }) },
  responses: { 200: jsonResponse(z.object({ items: z.array(storedCanaryConfig) }), "The application's canary configs by name") },
});
const create = createRoute({
  method: 'post', path: '/applications/{app}/canary-configs', tags: ['canary'], middleware: mw,
  request: { params: z.object({ app: applicationName }), body: configBody },
  responses: { 201: jsonResponse(storedCanaryConfig, 'Created as version 1') },
});
const get = createRoute({
  method: 'get', path: '/canary-configs/{id}', tags: ['canary'], middleware: mw,
  request: { params: idParam },
  responses: { 200: jsonResponse(storedCanaryConfig, 'The canary config; its ETag is the version') },
});
const update = createRoute({
  method: 'put', path: '/canary-configs/{id}', tags: ['canary'], middleware: mw,
  request: { params: idParam, headers: ifMatchHeader, body: configBody },
  responses: { 200: jsonResponse(storedCanaryConfig, 'Saved as a new version') },
});
const remove = createRoute({
  method: 'delete', path: '/canary-configs/{id}', tags: ['canary'], middleware: mw,
  request: { params: idParam },
  responses: { 200: jsonResponse(z.object({ deleted: z.string() }), 'Deleted with its history') },
});
const versions = createRoute({
  method: 'get', path: '/canary-configs/{id}/versions', tags: ['canary'], middleware: mw,
  request: { params: idParam },
  responses: { 200: jsonResponse(z.object({ items: z.array(canaryConfigVersion) }), 'Every saved version, newest first') },
});
const version = createRoute({
  method: 'get', path: '/canary-configs/{id}/versions/{version}', tags: ['canary'], middleware: mw,
  request: { params: versionParam },
  responses: { 200: jsonResponse(canaryConfigVersion, 'One saved version') },
});
const restore = createRoute({
  method: 'post', path: '/canary-configs/{id}/versions/{version}/restore', tags: ['canary'], middleware: mw,
  request: { params: versionParam },
  responses: { 200: jsonResponse(storedCanaryConfig, 'The old config saved again as the newest version') },
});

export const canaryConfigRoutes = router()
  .openapi(list, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    const db = database(c.env.DB);
    await loadApplication(db, app);
    const rows = await db.select().from(canaryConfigs).where(eq(canaryConfigs.application, app)).orderBy(asc(canaryConfigs.name)).all();
    return c.json({ items: rows.map(view) }, 200);
  })
  .openapi(create, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    const { name, config } = validConfig(c.req.valid('json'));
    const db = database(c.env.DB);
    await loadApplication(db, app);
    await assertNameFree(db, app, name);
    const now = Date.now();
    const row: Row = { id: crypto.randomUUID(), application: app, name, config, version: 1, createdAt: now, updatedAt: now, updatedBy: p.name };
    try {
      await db.batch(saveStatements(db, c, row, 'create', null, false));
    } catch (err) {
      // Two creates of one name at once: the unique index refuses the second after the check above passed.
      if (isUniqueViolation(err)) throw nameClash(app, name);
      throw err;
    }
    return c.json(view(row), 201, { ETag: `"${row.version}"` });
  })
  .openapi(get, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const row = await loadConfig(database(c.env.DB), p, c.req.valid('param').id);
    return c.json(view(row), 200, { ETag: `"${row.version}"` });
  })
  .openapi(update, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const db = database(c.env.DB);
    const row = await loadConfig(db, p, c.req.valid('param').id);
    const expected = expectedVersion(c.req.valid('header')['if-match'], 'canary config');
    const { name, config } = validConfig(c.req.valid('json'));
    if (expected !== undefined && expected !== row.version) {
      throw conflict(`canary config is at version ${row.version}, not ${expected}; reload and reapply your change`, 'If-Match');
    }
    await assertNameFree(db, row.application, name, row.id);
    const next: Row = { ...row, name, config, version: row.version + 1, updatedAt: Date.now(), updatedBy: p.name };
    await commitVersion(db, c, next, 'update');
    return c.json(view(next), 200, { ETag: `"${next.version}"` });
  })
  .openapi(remove, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const db = database(c.env.DB);
    const row = await loadConfig(db, p, c.req.valid('param').id);
    await db.batch([
      db.delete(canaryConfigVersions).where(eq(canaryConfigVersions.configId, row.id)),
      db.delete(canaryConfigs).where(eq(canaryConfigs.id, row.id)),
      auditInsert(db, c, { action: 'canary-config.delete', resourceType: 'canary-config', resourceId: row.id, application: row.application, details: { name: row.name } }),
    ]);
    return c.json({ deleted: row.id }, 200);
  })
  .openapi(versions, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const db = database(c.env.DB);
    const row = await loadConfig(db, p, c.req.valid('param').id);
    const rows = await db.select().from(canaryConfigVersions).where(eq(canaryConfigVersions.configId, row.id)).orderBy(desc(canaryConfigVersions.version)).all();
    return c.json({ items: rows.map(versionView) }, 200);
  })
  .openapi(version, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const db = database(c.env.DB);
    const { id, version: v } = c.req.valid('param');
    await loadConfig(db, p, id);
    const row = await db.select().from(canaryConfigVersions).where(and(eq(canaryConfigVersions.configId, id), eq(canaryConfigVersions.version, v))).get();
    if (!row) throw notFound(`version ${v} of canary config "${id}"`);
    return c.json(versionView(row), 200);
  })
  .openapi(restore, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const db = database(c.env.DB);
    const { id, version: v } = c.req.valid('param');
    const row = await loadConfig(db, p, id);
    const old = await db.select().from(canaryConfigVersions).where(and(eq(canaryConfigVersions.configId, id), eq(canaryConfigVersions.version, v))).get();
    if (!old) throw notFound(`version ${v} of canary config "${id}"`);
    // An old config may no longer pass today's schema: restoring must not store it (400, naming the path).
    const { name, config } = validConfig(old.config, `version ${v} cannot be restored, it is no longer valid: `);
    await assertNameFree(db, row.application, name, row.id);
    const next: Row = { ...row, name, config, version: row.version + 1, updatedAt: Date.now(), updatedBy: p.name };
    await commitVersion(db, c, next, 'restore', `restored from version ${v}`);
    return c.json(view(next), 200, { ETag: `"${next.version}"` });
  });
