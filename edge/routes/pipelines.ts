import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, count, desc, eq, inArray } from 'drizzle-orm';
import { applicationName } from '../../contract/names.ts';
import { pipeline, pipelineVersion, validatePipelineConfig, type PipelineConfig } from '../../contract/pipelines.ts';
import { executions, pipelines, pipelineVersions } from '../../db/schema.ts';
import { checkTemplateSyntax } from '../engine/expressions.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertApplication, assertScope, type Principal } from '../auth/principal.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { auditInsert } from '../lib/audit.ts';
import { database, type Database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { expectedVersion, idParam, ifMatchHeader, isUniqueViolation, versionParam } from '../lib/versioning.ts';
import { isoOf } from '../lib/time.ts';
import { activeStatuses, loadApplication } from './applications.ts';

type Row = typeof pipelines.$inferSelect;
type VersionRow = typeof pipelineVersions.$inferSelect;

const view = (r: Row): z.infer<typeof pipeline> => ({
  id: r.id,
  application: r.application,
  name: r.name,
  version: r.version,
  config: r.config,
  createdAt: isoOf(r.createdAt),
  updatedAt: isoOf(r.updatedAt),
  updatedBy: r.updatedBy,
});
const versionView = (r: VersionRow): z.infer<typeof pipelineVersion> => ({
  pipelineId: r.pipelineId,
  version: r.version,
  config: r.config,
  author: r.author,
  action: r.action,
  note: r.note,
  createdAt: isoOf(r.createdAt),
});

/**
 * Validates a config for `app`; a failure is a 400 naming the JSON path inside the request body.
 * Spinnaker's pipeline JSON carries its application: accepted when it is this one.
 */
function validConfig(input: Record<string, unknown>, app: string): PipelineConfig {
  if (input.application !== undefined && input.application !== app) {
    throw badRequest('application', `application: this pipeline belongs to "${app}", not ${JSON.stringify(input.application)}`);
  }
  const result = validatePipelineConfig(input);
  if (!result.ok) throw badRequest(result.field, result.message);
  // Expressions are evaluated when a stage starts, but one that cannot even parse is refused now.
  for (const [i, stage] of result.value.stages.entries()) {
    const { refId: _r, requisiteStageRefIds: _q, type: _t, name: _n, ...context } = stage;
    const bad = checkTemplateSyntax(context, `stages[${i}]`);
    if (bad) throw badRequest(bad.field, `${bad.field}: ${bad.reason} in \`${bad.expression}\``);
  }
  return result.value;
}

async function loadPipeline(db: Database, p: Principal, id: string): Promise<Row> {
  const row = await db.select().from(pipelines).where(eq(pipelines.id, id)).get();
  if (!row) throw notFound(`pipeline "${id}"`);
  assertApplication(p, row.application);
  return row;
}

async function assertNameFree(db: Database, app: string, name: string, exceptId?: string) {
  const clash = await db
    .select({ id: pipelines.id })
    .from(pipelines)
    .where(and(eq(pipelines.application, app), eq(pipelines.name, name)))
    .get();
  if (clash && clash.id !== exceptId) throw conflict(`application "${app}" already has a pipeline named "${name}"`, 'name');
}

/** The batch that stores version `version` of a pipeline and its history row, with audit. */
function saveStatements(db: Database, c: Parameters<typeof auditInsert>[1], row: Row, action: VersionRow['action'], note: string | null, exists: boolean) {
  return [
    exists
      ? db.update(pipelines).set(row).where(and(eq(pipelines.id, row.id), eq(pipelines.version, row.version - 1)))
      : db.insert(pipelines).values(row),
    db.insert(pipelineVersions).values({
      pipelineId: row.id,
      version: row.version,
      config: row.config,
      author: row.updatedBy,
      action,
      note,
      createdAt: row.updatedAt,
    }),
    auditInsert(db, c, { action: `pipeline.${action}`, resourceType: 'pipeline', resourceId: row.id, application: row.application, details: { name: row.name, version: row.version } }, row.updatedAt),
  ] as const;
}

const mw = [authenticate];
const configBody = jsonBody(z.record(z.string(), z.unknown()), 'A pipeline config (Spinnaker shape: name, stages, triggers, parameterConfig, …)');

const list = createRoute({
  method: 'get', path: '/applications/{app}/pipelines', tags: ['pipelines'], middleware: mw,
  request: { params: z.object({ app: applicationName }) },
  responses: { 200: jsonResponse(z.object({ items: z.array(pipeline) }), "The application's pipelines by name") },
});
const create = createRoute({
  method: 'post', path: '/applications/{app}/pipelines', tags: ['pipelines'], middleware: mw,
  request: { params: z.object({ app: applicationName }), body: configBody },
  responses: { 201: jsonResponse(pipeline, 'Created as version 1') },
});
const get = createRoute({
  method: 'get', path: '/pipelines/{id}', tags: ['pipelines'], middleware: mw,
  request: { params: idParam },
  responses: { 200: jsonResponse(pipeline, 'The pipeline; its ETag is the version') },
});
const update = createRoute({
  method: 'put', path: '/pipelines/{id}', tags: ['pipelines'], middleware: mw,
  request: { params: idParam, headers: ifMatchHeader, body: configBody },
  responses: { 200: jsonResponse(pipeline, 'Saved as a new version') },
});
const remove = createRoute({
  method: 'delete', path: '/pipelines/{id}', tags: ['pipelines'], middleware: mw,
  request: { params: idParam },
  responses: { 200: jsonResponse(z.object({ deleted: z.string() }), 'Deleted with its history') },
});
const versions = createRoute({
  method: 'get', path: '/pipelines/{id}/versions', tags: ['pipelines'], middleware: mw,
  request: { params: idParam },
  responses: { 200: jsonResponse(z.object({ items: z.array(pipelineVersion) }), 'Every saved version, newest first') },
});
const version = createRoute({
  method: 'get', path: '/pipelines/{id}/versions/{version}', tags: ['pipelines'], middleware: mw,
  request: { params: versionParam },
  responses: { 200: jsonResponse(pipelineVersion, 'One saved version') },
});
const restore = createRoute({
  method: 'post', path: '/pipelines/{id}/versions/{version}/restore', tags: ['pipelines'], middleware: mw,
  request: { params: versionParam },
  responses: { 200: jsonResponse(pipeline, 'The old config saved again as the newest version') },
});

export const pipelineRoutes = router()
  .openapi(list, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    const db = database(c.env.DB);
    await loadApplication(db, app);
    const rows = await db.select().from(pipelines).where(eq(pipelines.application, app)).orderBy(asc(pipelines.name)).all();
    return c.json({ items: rows.map(view) }, 200);
  })
  .openapi(create, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    const config = validConfig(c.req.valid('json'), app);
    const db = database(c.env.DB);
    await loadApplication(db, app);
    await assertNameFree(db, app, config.name);
    const now = Date.now();
    const row: Row = { id: crypto.randomUUID(), application: app, name: config.name, config, version: 1, createdAt: now, updatedAt: now, updatedBy: p.name };
    try {
      await db.batch(saveStatements(db, c, row, 'create', null, false));
    } catch (err) {
      // Two creates of one name at once: the unique index refuses the second after the check above passed.
      if (isUniqueViolation(err)) throw conflict(`application "${app}" already has a pipeline named "${config.name}"`, 'name');
      throw err;
    }
    return c.json(view(row), 201, { ETag: `"${row.version}"` });
  })
  .openapi(get, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const row = await loadPipeline(database(c.env.DB), p, c.req.valid('param').id);
    return c.json(view(row), 200, { ETag: `"${row.version}"` });
  })
  .openapi(update, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const db = database(c.env.DB);
    const row = await loadPipeline(db, p, c.req.valid('param').id);
    const expected = expectedVersion(c.req.valid('header')['if-match'], 'pipeline');
    const config = validConfig(c.req.valid('json'), row.application);
    if (expected !== undefined && expected !== row.version) {
      throw conflict(`pipeline is at version ${row.version}, not ${expected}; reload and reapply your change`, 'If-Match');
    }
    await assertNameFree(db, row.application, config.name, row.id);
    const next: Row = { ...row, name: config.name, config, version: row.version + 1, updatedAt: Date.now(), updatedBy: p.name };
    await commitVersion(db, c, next, 'update');
    return c.json(view(next), 200, { ETag: `"${next.version}"` });
  })
  .openapi(remove, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const db = database(c.env.DB);
    const row = await loadPipeline(db, p, c.req.valid('param').id);
    const active = await db
      .select({ n: count() })
      .from(executions)
      .where(and(eq(executions.pipelineId, row.id), inArray(executions.status, [...activeStatuses])))
      .get();
    if (active && active.n > 0) throw conflict(`pipeline "${row.name}" has ${active.n} running or waiting execution(s)`);
    await db.batch([
      db.delete(pipelineVersions).where(eq(pipelineVersions.pipelineId, row.id)),
      db.delete(pipelines).where(eq(pipelines.id, row.id)),
      auditInsert(db, c, { action: 'pipeline.delete', resourceType: 'pipeline', resourceId: row.id, application: row.application, details: { name: row.name } }),
    ]);
    return c.json({ deleted: row.id }, 200);
  })
  .openapi(versions, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const db = database(c.env.DB);
    const row = await loadPipeline(db, p, c.req.valid('param').id);
    const rows = await db.select().from(pipelineVersions).where(eq(pipelineVersions.pipelineId, row.id)).orderBy(desc(pipelineVersions.version)).all();
    return c.json({ items: rows.map(versionView) }, 200);
  })
  .openapi(version, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const db = database(c.env.DB);
    const { id, version: v } = c.req.valid('param');
    await loadPipeline(db, p, id);
    const row = await db.select().from(pipelineVersions).where(and(eq(pipelineVersions.pipelineId, id), eq(pipelineVersions.version, v))).get();
    if (!row) throw notFound(`version ${v} of pipeline "${id}"`);
    return c.json(versionView(row), 200);
  })
  .openapi(restore, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const db = database(c.env.DB);
    const { id, version: v } = c.req.valid('param');
    const row = await loadPipeline(db, p, id);
    const old = await db.select().from(pipelineVersions).where(and(eq(pipelineVersions.pipelineId, id), eq(pipelineVersions.version, v))).get();
    if (!old) throw notFound(`version ${v} of pipeline "${id}"`);
    // An old config may no longer be valid (a stage type renamed, say): restoring must not store it.
    // A 400 like any invalid config (a 409 would read as "someone saved meanwhile"), naming the path in the old config.
    const result = validatePipelineConfig(old.config);
    if (!result.ok) throw badRequest(result.field, `version ${v} cannot be restored, it is no longer valid: ${result.message}`);
    const config = result.value;
    await assertNameFree(db, row.application, config.name, row.id);
    const next: Row = { ...row, name: config.name, config, version: row.version + 1, updatedAt: Date.now(), updatedBy: p.name };
    await commitVersion(db, c, next, 'restore', `restored from version ${v}`);
    return c.json(view(next), 200, { ETag: `"${next.version}"` });
  });

/** Saves a new version with compare-and-set on the previous version, so two racing saves cannot both win. */
async function commitVersion(db: Database, c: Parameters<typeof auditInsert>[1], next: Row, action: VersionRow['action'], note: string | null = null) {
  try {
    await db.batch(saveStatements(db, c, next, action, note, true));
  } catch (err) {
    // The history row's primary key (pipeline, version) rejects the loser of a race; D1 rolls the batch back.
    if (isUniqueViolation(err)) {
      throw conflict(`pipeline was saved by someone else meanwhile (version ${next.version} exists); reload`);
    }
    throw err;
  }
}

