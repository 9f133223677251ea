import { createRoute } from '@hono/zod-openapi';
import { eq, inArray } from 'drizzle-orm';
import { AGENT_OFFLINE_AFTER_MS, agentHeartbeat, agentHeartbeatAck, agentRegister, agentRegistered, HEARTBEAT_INTERVAL_SEC } from '../../contract/agents.ts';
import { accounts, agentInstallTokens, agents } from '../../db/schema.ts';
import { mintSecret, parseSecret, secretMatches } from '../auth/secrets.ts';
import { conflict, unauthorized } from '../errors.ts';
import { database } from '../lib/db.ts';
import { statusOf } from '../routes/agents.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { agentAuth, type AgentEnv } from './auth.ts';
import { inventoryApi } from './inventory.ts';
import { taskApi } from './tasks.ts';

const register = createRoute({
  method: 'post', path: '/register', tags: ['agent protocol'],
  request: { body: jsonBody(agentRegister) },
  responses: { 201: jsonResponse(agentRegistered, 'Registered; keep the credential, it is shown once') },
});
const heartbeat = createRoute({
  method: 'post', path: '/heartbeat', tags: ['agent protocol'], middleware: [agentAuth],
  request: { body: jsonBody(agentHeartbeat) },
  responses: { 200: jsonResponse(agentHeartbeatAck, 'Seen') },
});

/** The API agents call over outbound HTTPS. The edge never calls an agent. */
export const agentApi = router<AgentEnv>()
  .openapi(register, async (c) => {
    const body = c.req.valid('json');
    const parsed = parseSecret('gni', body.installToken);
    if (!parsed) throw unauthorized('malformed install token');
    const db = database(c.env.DB);
    const token = await db.select().from(agentInstallTokens).where(eq(agentInstallTokens.id, parsed.id)).get();
    const now = Date.now();
    if (!token || !(await secretMatches(parsed.secret, token.secretHash))) throw unauthorized('unknown install token');
    if (token.usedAt !== null) throw unauthorized('install token was already used; create a new one');
    if (token.expiresAt <= now) throw unauthorized('install token expired; create a new one');
    const owned = body.accounts.length
      ? await db.select({ account: accounts, agent: agents }).from(accounts).leftJoin(agents, eq(agents.id, accounts.agentId))
        .where(inArray(accounts.name, body.accounts.map((a) => a.name))).all()
      : [];
    for (const [i, a] of body.accounts.entries()) {
      const existing = owned.find((o) => o.account.name === a.name);
      if (existing?.account.agentId && existing.account.provider !== a.provider) {
        throw conflict(`account "${a.name}" exists with provider ${existing.account.provider}`, `accounts[${i}].provider`);
      }
      // Taking an account from an agent that is offline or revoked is how an agent is replaced;
      // taking it from one that is online would leave two agents claiming its work.
      if (existing?.agent && statusOf(existing.agent, now) === 'online') {
        const holder = existing.agent.name;
        throw conflict(
          `account "${a.name}" is served by agent "${holder}", which is online. An account moves to a new agent only when its agent is offline or revoked (that is how an agent is replaced): choose another account name, or stop or revoke "${holder}" first`,
          `accounts[${i}].name`,
        );
      }
    }
    const minted = await mintSecret('gna');
    const agentId = minted.id;
    // One D1 batch is one transaction. The first statement claims the token (compare-and-set);
    // every later statement writes only if this request's claim won, so a token used twice at
    // once registers one agent and the loser writes nothing. The account upsert checks again that
    // the account's agent is not online, so one heard from since the check above keeps its account.
    const claimed = 'EXISTS (SELECT 1 FROM agent_install_tokens WHERE id = ? AND agent_id = ?)';
    const d1 = c.env.DB;
    const results = await d1.batch([
      d1.prepare('UPDATE agent_install_tokens SET used_at = ?, agent_id = ? WHERE id = ? AND used_at IS NULL').bind(now, agentId, token.id),
      d1.prepare(`INSERT INTO agents (id, name, secret_hash, version, hostname, created_at, last_seen_at) SELECT ?, ?, ?, ?, ?, ?, ? WHERE ${claimed}`)
        .bind(agentId, body.name, minted.hash, body.version, body.hostname ?? null, now, now, token.id, agentId),
      ...body.accounts.map((a) =>
        d1.prepare(
          `INSERT INTO accounts (name, provider, agent_id, locations, created_at, updated_at) SELECT ?, ?, ?, ?, ?, ? WHERE ${claimed}
           ON CONFLICT(name) DO UPDATE SET agent_id = excluded.agent_id, provider = excluded.provider, locations = excluded.locations, updated_at = excluded.updated_at
           WHERE NOT EXISTS (SELECT 1 FROM agents WHERE agents.id = accounts.agent_id AND revoked_at IS NULL AND last_seen_at > ?)`,
        ).bind(a.name, a.provider, agentId, JSON.stringify(a.locations), now, now, token.id, agentId, now - AGENT_OFFLINE_AFTER_MS),
      ),
      d1.prepare(
        `INSERT INTO audit_events (id, at, actor_type, actor_id, actor_name, action, resource_type, resource_id, application, details, request_id)
         SELECT ?, ?, 'agent', ?, ?, 'agent.register', 'agent', ?, NULL, ?, ? WHERE ${claimed}`,
      ).bind(crypto.randomUUID(), now, agentId, body.name, agentId, JSON.stringify({ accounts: body.accounts.map((a) => a.name) }), c.get('requestId'), token.id, agentId),
    ]);
    if (results[0]!.meta.changes !== 1) throw unauthorized('install token was already used; create a new one');
    return c.json({ agentId, credential: minted.token, heartbeatIntervalSec: HEARTBEAT_INTERVAL_SEC }, 201);
  })
  .openapi(heartbeat, async (c) => {
    const { version } = c.req.valid('json');
    const now = Date.now();
    await database(c.env.DB).update(agents).set({ lastSeenAt: now, version }).where(eq(agents.id, c.get('agentId'))).run();
    return c.json({ ok: true as const, serverTime: new Date(now).toISOString(), heartbeatIntervalSec: HEARTBEAT_INTERVAL_SEC }, 200);
  })
  .route('/', taskApi)
  .route('/', inventoryApi);
