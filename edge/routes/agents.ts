import { createRoute, z } from '@hono/zod-openapi';
import { desc } from 'drizzle-orm';
import { AGENT_OFFLINE_AFTER_MS, agentView } from '../../contract/agents.ts';
import { accounts, agentInstallTokens, agents } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertScope } from '../auth/principal.ts';
import { mintSecret } from '../auth/secrets.ts';
import { auditInsert } from '../lib/audit.ts';
import { database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { iso, isoOf } from '../lib/time.ts';

const mw = [authenticate];

const list = createRoute({
  method: 'get', path: '/agents', tags: ['agents'], middleware: mw,
  responses: { 200: jsonResponse(z.object({ items: z.array(agentView) }), 'Registered agents and the accounts they serve') },
});
const installToken = createRoute({
  method: 'post', path: '/agents/install-tokens', tags: ['agents'], middleware: mw,
  request: { body: jsonBody(z.strictObject({ expiresInMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60) })) },
  responses: { 201: jsonResponse(z.object({ id: z.string(), token: z.string(), expiresAt: z.string() }), 'A one-time token for `gennaker-agent --token`; shown once') },
});

export const agentRoutes = router()
  .openapi(list, async (c) => {
    assertScope(c.get('principal'), 'read');
    const db = database(c.env.DB);
    const [agentRows, accountRows] = await db.batch([db.select().from(agents).orderBy(desc(agents.createdAt)), db.select().from(accounts)]);
    const now = Date.now();
    return c.json(
      {
        items: agentRows.map((a) => ({
          id: a.id,
          name: a.name,
          version: a.version,
          hostname: a.hostname,
          status: a.revokedAt !== null ? ('revoked' as const) : a.lastSeenAt !== null && now - a.lastSeenAt < AGENT_OFFLINE_AFTER_MS ? ('online' as const) : ('offline' as const),
          lastSeenAt: iso(a.lastSeenAt),
          createdAt: isoOf(a.createdAt),
          accounts: accountRows.filter((r) => r.agentId === a.id).map((r) => ({ name: r.name, provider: r.provider, locations: r.locations })),
        })),
      },
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
  });
