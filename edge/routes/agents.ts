import { createRoute, z } from '@hono/zod-openapi';
import { and, count, desc, eq, inArray } from 'drizzle-orm';
import { AGENT_OFFLINE_AFTER_MS, agentView } from '../../contract/agents.ts';
import { accounts, agentInstallTokens, agents, tasks } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertScope } from '../auth/principal.ts';
import { mintSecret } from '../auth/secrets.ts';
import { conflict, notFound } from '../errors.ts';
import { auditInsert } from '../lib/audit.ts';
import { database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { iso, isoOf } from '../lib/time.ts';

const mw = [authenticate];

/** An agent as listed: its view plus the tasks it holds a lease on right now. */
export const agentListItem = agentView.extend({ leasedTasks: z.number().int() });
type AgentRow = typeof agents.$inferSelect;

const list = createRoute({
  method: 'get', path: '/agents', tags: ['agents'], middleware: mw,
  request: {
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(200).default(100),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(agentListItem), total: z.number(), limit: z.number(), offset: z.number() }),
      'Registered agents, newest first, and the accounts they serve',
    ),
  },
});
const installToken = createRoute({
  method: 'post', path: '/agents/install-tokens', tags: ['agents'], middleware: mw,
  request: { body: jsonBody(z.strictObject({ expiresInMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60) })) },
  responses: { 201: jsonResponse(z.object({ id: z.string(), token: z.string(), expiresAt: z.string() }), 'A one-time token for `gennaker-agent --token`; shown once') },
});
/** An account as the add-agent form checks a typed name against: who serves it, and whether that agent is online. */
export const accountOwner = z.object({
  name: z.string(),
  provider: z.string(),
  agent: z.object({ id: z.string(), name: z.string(), status: agentView.shape.status }).nullable(),
});
const accountList = createRoute({
  method: 'get', path: '/agents/accounts', tags: ['agents'], middleware: mw,
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(accountOwner) }),
      'Every account by name, with the agent serving it: registering an account an online agent serves is refused',
    ),
  },
});
const revoke = createRoute({
  method: 'delete', path: '/agents/{id}', tags: ['agents'], middleware: mw,
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 200: jsonResponse(agentView, 'Revoked: its credential is refused from the next call; tasks it held return to the queue when their lease runs out') },
});

/** Online, offline or revoked at `now`; registration moves an account only away from an agent not online. */
export function statusOf(a: Pick<AgentRow, 'revokedAt' | 'lastSeenAt'>, now: number): z.infer<typeof agentView>['status'] {
  if (a.revokedAt !== null) return 'revoked';
  return a.lastSeenAt !== null && now - a.lastSeenAt < AGENT_OFFLINE_AFTER_MS ? 'online' : 'offline';
}

function viewOf(a: AgentRow, accountRows: (typeof accounts.$inferSelect)[], now: number): z.infer<typeof agentView> {
  return {
    id: a.id,
    name: a.name,
    version: a.version,
    hostname: a.hostname,
    status: statusOf(a, now),
    lastSeenAt: iso(a.lastSeenAt),
    createdAt: isoOf(a.createdAt),
    accounts: accountRows.filter((r) => r.agentId === a.id).map((r) => ({ name: r.name, provider: r.provider, locations: r.locations })),
  };
}

export const agentRoutes = router()
  .openapi(list, async (c) => {
    assertScope(c.get('principal'), 'read');
    const { limit, offset } = c.req.valid('query');
    const db = database(c.env.DB);
    // The page's ids as a subquery, not bound values: D1 allows at most 100 variables a statement.
    const page = () => db.select({ id: agents.id }).from(agents).orderBy(desc(agents.createdAt), desc(agents.id)).limit(limit).offset(offset);
    const [agentRows, [total], accountRows, leaseRows] = await db.batch([
      db.select().from(agents).orderBy(desc(agents.createdAt), desc(agents.id)).limit(limit).offset(offset),
      db.select({ n: count() }).from(agents),
      db.select().from(accounts).where(inArray(accounts.agentId, page())),
      db.select({ agentId: tasks.leaseOwner, n: count() }).from(tasks).where(and(eq(tasks.status, 'LEASED'), inArray(tasks.leaseOwner, page()))).groupBy(tasks.leaseOwner),
    ]);
    const now = Date.now();
    return c.json(
      {
        items: agentRows.map((a) => ({ ...viewOf(a, accountRows, now), leasedTasks: leaseRows.find((l) => l.agentId === a.id)?.n ?? 0 })),
        total: total?.n ?? 0,
        limit,
        offset,
      },
      200,
    );
  })
  .openapi(accountList, async (c) => {
    assertScope(c.get('principal'), 'read');
    // All of them, not a page: a name typed into the add-agent form is checked against every
    // account. There are few (an agent serves at most 50, and one account per deploy target).
    const rows = await database(c.env.DB)
      .select({ name: accounts.name, provider: accounts.provider, agent: agents })
      .from(accounts)
      .leftJoin(agents, eq(agents.id, accounts.agentId))
      .orderBy(accounts.name)
      .all();
    const now = Date.now();
    return c.json(
      { items: rows.map((r) => ({ name: r.name, provider: r.provider, agent: r.agent && { id: r.agent.id, name: r.agent.name, status: statusOf(r.agent, now) } })) },
      200,
    );
  })
  .openapi(installToken, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'admin');
    const { expiresInMinutes } = c.req.valid('json');
    const db = database(c.env.DB);
    const now = Date.now();
    const minted = await mintSecret('gni');
    const expiresAt = now + expiresInMinutes * 60_000;
    await db.batch([
      db.insert(agentInstallTokens).values({ id: minted.id, secretHash: minted.hash, createdBy: p.name, createdAt: now, expiresAt }),
      auditInsert(db, c, { action: 'agent.install-token.create', resourceType: 'agent-install-token', resourceId: minted.id }, now),
    ]);
    return c.json({ id: minted.id, token: minted.token, expiresAt: isoOf(expiresAt) }, 201);
  })
  .openapi(revoke, async (c) => {
    assertScope(c.get('principal'), 'admin');
    const { id } = c.req.valid('param');
    const db = database(c.env.DB);
    const row = await db.select().from(agents).where(eq(agents.id, id)).get();
    if (!row) throw notFound(`agent "${id}"`);
    if (row.revokedAt !== null) throw conflict(`agent "${row.name}" is already revoked`);
    const now = Date.now();
    const p = c.get('principal');
    // Compare-and-set in one batch: of two revokes at once, one sets revoked_at, and the audit
    // event is written only by the request whose instant is the one stored.
    const d1 = c.env.DB;
    const [updated] = await d1.batch([
      d1.prepare('UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').bind(now, id),
      d1.prepare(
        `INSERT INTO audit_events (id, at, actor_type, actor_id, actor_name, action, resource_type, resource_id, application, details, request_id)
         SELECT ?, ?, ?, ?, ?, 'agent.revoke', 'agent', ?, NULL, ?, ? WHERE changes() = 1`,
      ).bind(crypto.randomUUID(), now, p.type, p.id, p.name, id, JSON.stringify({ name: row.name }), c.get('requestId')),
    ]);
    if (updated!.meta.changes !== 1) throw conflict(`agent "${row.name}" is already revoked`);
    const accountRows = await db.select().from(accounts).where(eq(accounts.agentId, id)).all();
    return c.json(viewOf({ ...row, revokedAt: now }, accountRows, now), 200);
  });
