import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, count, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { application, applicationCreate, applicationList, applicationUpdate, pageQuery } from '../../contract/applications.ts';
import { applicationName } from '../../contract/names.ts';
import { applications, executions, pipelines, pipelineVersions } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertApplication, assertScope } from '../auth/principal.ts';
import { conflict, notFound } from '../errors.ts';
import { auditInsert } from '../lib/audit.ts';
import { database, type Database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { isoOf } from '../lib/time.ts';

type Row = typeof applications.$inferSelect;
export function applicationView(r: Row): z.infer<typeof application> {
  return {
    name: r.name,
    email: r.email,
    description: r.description,
    trafficGuards: r.trafficGuards as z.infer<typeof application>['trafficGuards'],
    timeZone: r.timeZone,
    cloudProviders: r.cloudProviders,
    createdAt: isoOf(r.createdAt),
    updatedAt: isoOf(r.updatedAt),
    createdBy: r.createdBy,
  };
}

/** Loads an application the caller may see, or throws 404/403. */
export async function loadApplication(db: Database, name: string): Promise<Row> {
  const row = await db.select().from(applications).where(eq(applications.name, name)).get();
  if (!row) throw notFound(`application "${name}"`);
  return row;
}

/** Statuses that mean an execution has not finished yet. */
export const activeStatuses = ['NOT_STARTED', 'RUNNING', 'PAUSED', 'SUSPENDED'] as const;

const nameParam = z.object({ app: applicationName });
const mw = [authenticate];

const list = createRoute({
  method: 'get', path: '/applications', tags: ['applications'], middleware: mw,
  request: { query: pageQuery },
  responses: { 200: jsonResponse(applicationList, 'Applications by name, filtered by `q` (name, description, owner)') },
});
const create = createRoute({
  method: 'post', path: '/applications', tags: ['applications'], middleware: mw,
  request: { body: jsonBody(applicationCreate) },
  responses: { 201: jsonResponse(application, 'Created') },
});
const get = createRoute({
  method: 'get', path: '/applications/{app}', tags: ['applications'], middleware: mw,
  request: { params: nameParam },
  responses: { 200: jsonResponse(application, 'The application') },
});
const update = createRoute({
  method: 'patch', path: '/applications/{app}', tags: ['applications'], middleware: mw,
  request: { params: nameParam, body: jsonBody(applicationUpdate) },
  responses: { 200: jsonResponse(application, 'Updated') },
});
const remove = createRoute({
  method: 'delete', path: '/applications/{app}', tags: ['applications'], middleware: mw,
  request: { params: nameParam },
  responses: { 200: jsonResponse(z.object({ deleted: z.string(), pipelinesDeleted: z.number() }), 'Deleted with its pipelines') },
});

export const applicationRoutes = router()
  .openapi(list, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { q, limit, offset } = c.req.valid('query');
    const db = database(c.env.DB);
    const filters: SQL[] = [];
    if (q) {
      const pattern = `%${q.replace(/[%_\\]/g, (ch) => `\\${ch}`)}%`;
      // ESCAPE keeps `%` and `_` typed by the user literal.
      filters.push(
        sql`(${applications.name} LIKE ${pattern} ESCAPE '\\' OR ${applications.description} LIKE ${pattern} ESCAPE '\\' OR ${applications.email} LIKE ${pattern} ESCAPE '\\')`,
      );
    }
    if (p.applications) filters.push(inArray(applications.name, [...p.applications]));
    const where = filters.length ? and(...filters) : undefined;
    const [rows, [total]] = await db.batch([
      db.select().from(applications).where(where).orderBy(asc(applications.name)).limit(limit).offset(offset),
      db.select({ n: count() }).from(applications).where(where),
    ]);
    return c.json({ items: rows.map(applicationView), total: total?.n ?? 0, limit, offset }, 200);
  })
  .openapi(create, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const body = c.req.valid('json');
    assertApplication(p, body.name);
    const db = database(c.env.DB);
    if (await db.select({ name: applications.name }).from(applications).where(eq(applications.name, body.name)).get()) {
      throw conflict(`application "${body.name}" already exists`, 'name');
    }
    const now = Date.now();
    const row: Row = {
      name: body.name,
      email: body.email ?? null,
      description: body.description ?? null,
      trafficGuards: body.trafficGuards,
      timeZone: body.timeZone,
      cloudProviders: body.cloudProviders,
      createdBy: p.name,
      createdAt: now,
      updatedAt: now,
    };
    await db.batch([
      db.insert(applications).values(row),
      auditInsert(db, c, { action: 'application.create', resourceType: 'application', resourceId: row.name, application: row.name }, now),
    ]);
    return c.json(applicationView(row), 201);
  })
  .openapi(get, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    return c.json(applicationView(await loadApplication(database(c.env.DB), app)), 200);
  })
  .openapi(update, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    const patch = c.req.valid('json');
    const db = database(c.env.DB);
    const row = await loadApplication(db, app);
    const fields = Object.keys(patch);
    // Nothing to change is not a write: no new updatedAt, no audit row.
    if (fields.length === 0) return c.json(applicationView(row), 200);
    const now = Date.now();
    const changes = { ...patch, updatedAt: now } satisfies Partial<Row>;
    await db.batch([
      db.update(applications).set(changes).where(eq(applications.name, app)),
      auditInsert(db, c, { action: 'application.update', resourceType: 'application', resourceId: app, application: app, details: { fields } }, now),
    ]);
    const next: Row = { ...row, ...changes };
    return c.json(applicationView(next), 200);
  })
  .openapi(remove, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'write');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    const db = database(c.env.DB);
    await loadApplication(db, app);
    const active = await db
      .select({ n: count() })
      .from(executions)
      .where(and(eq(executions.application, app), inArray(executions.status, [...activeStatuses])))
      .get();
    if (active && active.n > 0) {
      throw conflict(`application "${app}" has ${active.n} running or waiting execution(s); cancel them first`);
    }
    const owned = db.select({ id: pipelines.id }).from(pipelines).where(eq(pipelines.application, app));
    const pipelinesDeleted = (await db.select({ n: count() }).from(pipelines).where(eq(pipelines.application, app)).get())?.n ?? 0;
    // History goes by subquery, inside the batch, so a pipeline saved meanwhile leaves no orphaned versions.
    await db.batch([
      db.delete(pipelineVersions).where(inArray(pipelineVersions.pipelineId, owned)),
      db.delete(pipelines).where(eq(pipelines.application, app)),
      db.delete(applications).where(eq(applications.name, app)),
      auditInsert(db, c, { action: 'application.delete', resourceType: 'application', resourceId: app, application: app, details: { pipelinesDeleted } }),
    ]);
    return c.json({ deleted: app, pipelinesDeleted }, 200);
  });
