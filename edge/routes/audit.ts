import { createRoute, z } from '@hono/zod-openapi';
import { and, count, desc, eq, type SQL } from 'drizzle-orm';
import { applicationName } from '../../contract/names.ts';
import { auditEvents } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertApplication, assertScope } from '../auth/principal.ts';
import { database } from '../lib/db.ts';
import { jsonResponse, router } from '../lib/router.ts';
import { isoOf } from '../lib/time.ts';

const event = z.object({
  id: z.string(),
  at: z.string(),
  actorType: z.string(),
  actorName: z.string(),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string(),
  application: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
});

const list = createRoute({
  method: 'get', path: '/audit', tags: ['audit'], middleware: [authenticate],
  request: {
    query: z.strictObject({
      application: applicationName.optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: { 200: jsonResponse(z.object({ items: z.array(event), total: z.number(), limit: z.number(), offset: z.number() }), 'Newest first') },
});

/** Who did what, when. The whole log needs `admin`; one application's log needs `read` on it. */
export const auditRoutes = router().openapi(list, async (c) => {
  const p = c.get('principal');
  const { application, limit, offset } = c.req.valid('query');
  if (application) {
    assertScope(p, 'read');
    assertApplication(p, application);
  } else assertScope(p, 'admin');
  const db = database(c.env.DB);
  const where: SQL | undefined = application ? and(eq(auditEvents.application, application)) : undefined;
  const [rows, [total]] = await db.batch([
    db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.at)).limit(limit).offset(offset),
    db.select({ n: count() }).from(auditEvents).where(where),
  ]);
  return c.json(
    {
      items: rows.map((r) => ({
        id: r.id, at: isoOf(r.at), actorType: r.actorType, actorName: r.actorName, action: r.action,
        resourceType: r.resourceType, resourceId: r.resourceId, application: r.application, details: r.details, requestId: r.requestId,
      })),
      total: total?.n ?? 0, limit, offset,
    },
    200,
  );
});
