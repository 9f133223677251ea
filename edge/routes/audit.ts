import { createRoute, z } from '@hono/zod-openapi';
import { and, count, desc, eq, gte, like, lt, or, type SQL } from 'drizzle-orm';
import { applicationName } from '../../contract/names.ts';
import { auditEvents } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertApplication, assertScope } from '../auth/principal.ts';
import { badRequest } from '../errors.ts';
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

const instant = z.iso.datetime({ offset: true });

const list = createRoute({
  method: 'get', path: '/audit', tags: ['audit'], middleware: [authenticate],
  request: {
    query: z.strictObject({
      application: applicationName.optional(),
      actor: z.string().min(1).max(254).optional().describe('the actor name exactly: a user email, `token:<name>`, an agent name'),
      action: z.string().min(1).max(100).regex(/^[\w.-]+$/, 'letters, digits, _ . - only').optional()
        .describe('an action (`user.create`) or its family (`user` matches `user.create`, `user.update`…)'),
      from: instant.optional().describe('events at or after this instant'),
      to: instant.optional().describe('events before this instant'),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      offset: z.coerce.number().int().min(0).default(0),
      cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page: the events older than it'),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(event), total: z.number(), limit: z.number(), offset: z.number(), nextCursor: z.string().nullable() }),
      'Newest first; `total` counts every event the filters match',
    ),
  },
});

// The cursor names the last event of a page by (at, id), so events written meanwhile do not
// shift the next page the way an offset would.
const encodeCursor = (r: { at: number; id: string }) => btoa(`${r.at}:${r.id}`).replace(/=+$/, '');
function decodeCursor(cursor: string): { at: number; id: string } {
  let text = '';
  try {
    text = atob(cursor);
  } catch {
    // Not base64: refused below like any other foreign cursor.
  }
  const m = /^(\d+):([\w-]+)$/.exec(text);
  if (!m) throw badRequest('cursor', 'cursor: not a cursor this API returned');
  return { at: Number(m[1]), id: m[2]! };
}

/** Who did what, when. The whole log needs `admin`; one application's log needs `read` on it. */
export const auditRoutes = router().openapi(list, async (c) => {
  const p = c.get('principal');
  const q = c.req.valid('query');
  if (q.application) {
    assertScope(p, 'read');
    assertApplication(p, q.application);
  } else assertScope(p, 'admin');
  if (q.cursor && q.offset) throw badRequest('cursor', 'cursor: give either cursor or offset, not both');
  if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)) throw badRequest('to', 'to: must be after from');

  const filters: SQL[] = [];
  if (q.application) filters.push(eq(auditEvents.application, q.application));
  if (q.actor) filters.push(eq(auditEvents.actorName, q.actor));
  // The action's characters were checked above, so it cannot carry LIKE wildcards of its own.
  if (q.action) filters.push(or(eq(auditEvents.action, q.action), like(auditEvents.action, `${q.action}.%`))!);
  if (q.from) filters.push(gte(auditEvents.at, Date.parse(q.from)));
  if (q.to) filters.push(lt(auditEvents.at, Date.parse(q.to)));
  const where = filters.length ? and(...filters) : undefined;
  const page: SQL[] = [...filters];
  if (q.cursor) {
    const after = decodeCursor(q.cursor);
    page.push(or(lt(auditEvents.at, after.at), and(eq(auditEvents.at, after.at), lt(auditEvents.id, after.id)))!);
  }

  const db = database(c.env.DB);
  const [rows, [total]] = await db.batch([
    db.select().from(auditEvents).where(page.length ? and(...page) : undefined)
      .orderBy(desc(auditEvents.at), desc(auditEvents.id)).limit(q.limit + 1).offset(q.offset),
    db.select({ n: count() }).from(auditEvents).where(where),
  ]);
  const items = rows.slice(0, q.limit);
  return c.json(
    {
      items: items.map((r) => ({
        id: r.id, at: isoOf(r.at), actorType: r.actorType, actorName: r.actorName, action: r.action,
        resourceType: r.resourceType, resourceId: r.resourceId, application: r.application, details: r.details, requestId: r.requestId,
      })),
      total: total?.n ?? 0, limit: q.limit, offset: q.offset,
      nextCursor: rows.length > q.limit ? encodeCursor(items.at(-1)!) : null,
    },
    200,
  );
});
