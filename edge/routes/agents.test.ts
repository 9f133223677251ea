import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminToken, agentApi, api, auditCount, rowCount, tokenWith, uniq } from '../test/client.ts';

interface AgentItem {
  id: string;
  name: string;
  status: string;
  lastSeenAt: string | null;
  createdAt: string;
  accounts: { name: string; provider: string; locations: string[] }[];
  leasedTasks: number;
}

async function registerAgent(admin: string, account = uniq('acct')) {
  const install = await api('POST', '/agents/install-tokens', { token: admin, body: {} });
  const res = await agentApi('POST', '/register', {
    body: { installToken: install.json.token, name: uniq('agent'), version: '1.0.0', accounts: [{ name: account, provider: 'kubernetes', locations: ['eu', 'us'] }] },
  });
  expect(res.status).toBe(201);
  return { id: res.json.agentId as string, account };
}

/** Every agent, page by page: other test files share this D1 and add agents too, some with test clocks far ahead. */
async function allAgents(token: string): Promise<AgentItem[]> {
  const items: AgentItem[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = (await api('GET', `/agents?limit=200&offset=${offset}`, { token })).json;
    items.push(...(page.items as AgentItem[]));
    if (page.items.length < 200) return items;
  }
}

const listed = async (token: string, id: string) => (await allAgents(token)).find((a) => a.id === id)!;

describe('agents', () => {
  it('creates an install token once, for admins, valid for the minutes asked', async () => {
    const admin = await adminToken();
    const audits = await auditCount('agent.install-token.create');
    const before = Date.now();
    const res = await api('POST', '/agents/install-tokens', { token: admin, body: { expiresInMinutes: 30 } });
    expect(res.status).toBe(201);
    expect(res.json.token).toMatch(/^gni_/);
    expect(Date.parse(res.json.expiresAt) - before).toBeGreaterThanOrEqual(30 * 60_000 - 1000);
    expect(Date.parse(res.json.expiresAt) - before).toBeLessThanOrEqual(30 * 60_000 + 1000);
    const row = await env.DB.prepare('SELECT secret_hash FROM agent_install_tokens WHERE id = ?').bind(res.json.id).first<{ secret_hash: string }>();
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await auditCount('agent.install-token.create')).toBe(audits + 1);
    // A body-less POST takes the default hour.
    const defaulted = await api('POST', '/agents/install-tokens', { token: admin });
    expect(defaulted.status).toBe(201);
  });

  it.each([0, 7 * 24 * 60 + 1, 1.5, '60'])('refuses expiresInMinutes %j', async (expiresInMinutes) => {
    const admin = await adminToken();
    const tokens = await rowCount('agent_install_tokens');
    const res = await api('POST', '/agents/install-tokens', { token: admin, body: { expiresInMinutes } });
    expect(res.status).toBe(400);
    expect(res.json.error.field).toBe('expiresInMinutes');
    expect(await rowCount('agent_install_tokens')).toBe(tokens);
  });

  it('lists agents with their accounts, online after they were heard from', async () => {
    const admin = await adminToken();
    // Whole milliseconds, as D1 stores them: the registration's instant lies within [before, after].
    const before = Date.now();
    const agent = await registerAgent(admin);
    const after = Date.now();
    const item = await listed(admin, agent.id);
    expect(item).toMatchObject({ status: 'online', accounts: [{ name: agent.account, provider: 'kubernetes', locations: ['eu', 'us'] }] });
    expect(Date.parse(item.lastSeenAt!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(item.lastSeenAt!)).toBeLessThanOrEqual(after);
  });

  it('lists every account with the agent serving it and that agent\'s status, for the add-agent form', async () => {
    const admin = await adminToken();
    const online = await registerAgent(admin);
    const offline = await registerAgent(admin);
    const revoked = await registerAgent(admin);
    await env.DB.prepare('UPDATE agents SET last_seen_at = ? WHERE id = ?').bind(Date.now() - 91_000, offline.id).run();
    await env.DB.prepare('UPDATE agents SET revoked_at = ? WHERE id = ?').bind(Date.now(), revoked.id).run();
    // An account no agent serves (its row kept after the agent's removal) is listed too.
    const orphan = uniq('acct');
    await env.DB.prepare(`INSERT INTO accounts (name, provider, agent_id, locations, created_at, updated_at) VALUES (?, 'local', NULL, '["x"]', 0, 0)`).bind(orphan).run();

    const { secret } = await tokenWith(admin, { scopes: ['read'] });
    const res = await api('GET', '/agents/accounts', { token: secret });
    expect(res.status).toBe(200);
    const items = res.json.items as { name: string; provider: string; agent: { id: string; name: string; status: string } | null }[];
    // All of them, not a page: more than the agents list's largest page would not be cut off.
    expect(items).toHaveLength(await rowCount('accounts'));
    const names = items.map((i) => i.name);
    expect(names).toEqual([...names].sort());
    const of = (name: string) => items.find((i) => i.name === name);
    expect(of(online.account)).toEqual({ name: online.account, provider: 'kubernetes', agent: { id: online.id, name: expect.stringMatching(/^agent/), status: 'online' } });
    expect(of(offline.account)?.agent).toMatchObject({ id: offline.id, status: 'offline' });
    expect(of(revoked.account)?.agent).toMatchObject({ id: revoked.id, status: 'revoked' });
    expect(of(orphan)).toEqual({ name: orphan, provider: 'local', agent: null });
    expect((await api('GET', '/agents/accounts')).status).toBe(401);
  });

  it('shows an agent offline when not heard from for 90 seconds, and revoked when revoked', async () => {
    const admin = await adminToken();
    const agent = await registerAgent(admin);
    await env.DB.prepare('UPDATE agents SET last_seen_at = ? WHERE id = ?').bind(Date.now() - 91_000, agent.id).run();
    expect((await listed(admin, agent.id)).status).toBe('offline');
    await env.DB.prepare('UPDATE agents SET last_seen_at = ? WHERE id = ?').bind(Date.now() - 80_000, agent.id).run();
    expect((await listed(admin, agent.id)).status).toBe('online');
    await env.DB.prepare('UPDATE agents SET revoked_at = ? WHERE id = ?').bind(Date.now(), agent.id).run();
    expect((await listed(admin, agent.id)).status).toBe('revoked');
  });

  it('counts the tasks each agent holds a lease on', async () => {
    const admin = await adminToken();
    const agent = await registerAgent(admin);
    const now = Date.now();
    for (const [i, status] of ['LEASED', 'LEASED', 'QUEUED', 'SUCCEEDED'].entries()) {
      await env.DB.prepare(
        `INSERT INTO tasks (id, account, operation, payload, status, lease_owner, lease_expires_at, idempotency_key, created_at, updated_at)
         VALUES (?, ?, 'destroyServerGroup', '{}', ?, ?, ?, ?, ?, ?)`,
      ).bind(crypto.randomUUID(), agent.account, status, status === 'QUEUED' ? null : agent.id, now + 30_000, uniq(`k${i}`), now, now).run();
    }
    expect((await listed(admin, agent.id)).leasedTasks).toBe(2);
    const other = await registerAgent(admin);
    expect((await listed(admin, other.id)).leasedTasks).toBe(0);
  });

  it('pages agents newest first, counting them all', async () => {
    const admin = await adminToken();
    const older = await registerAgent(admin);
    const newer = await registerAgent(admin);
    const all = await allAgents(admin);
    const ids = all.map((a) => a.id);
    expect(ids.indexOf(newer.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    const created = all.map((a) => Date.parse(a.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    const first = await api('GET', '/agents?limit=1', { token: admin });
    expect(first.json).toMatchObject({ limit: 1, offset: 0 });
    expect(first.json.items).toHaveLength(1);
    expect(first.json.total).toBe(await rowCount('agents'));
    const at = ids.indexOf(older.id);
    const page = await api('GET', `/agents?limit=2&offset=${at - 1}`, { token: admin });
    expect(page.json.items.map((a: AgentItem) => a.id)).toContain(older.id);
    for (const [query, field] of [['limit=0', 'limit'], ['offset=-1', 'offset'], ['status=online', 'status']]) {
      const res = await api('GET', `/agents?${query}`, { token: admin });
      expect(res.status, query).toBe(400);
      expect(res.json.error.field, query).toBe(field);
    }
  });

  it('revokes an agent once: its credential is refused from then on and the revocation is audited', async () => {
    const admin = await adminToken();
    const install = await api('POST', '/agents/install-tokens', { token: admin, body: {} });
    const reg = await agentApi('POST', '/register', { body: { installToken: install.json.token, name: uniq('agent'), version: '1.0.0', accounts: [] } });
    const credential = reg.json.credential as string;
    expect((await agentApi('POST', '/heartbeat', { token: credential, body: { version: '1.0.0' } })).status).toBe(200);
    const audits = await auditCount('agent.revoke');

    // Two revokes at once: one wins, the other is told it is already revoked, one event is written.
    const answers = await Promise.all([1, 2].map(() => api('DELETE', `/agents/${reg.json.agentId}`, { token: admin })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 200)!.json).toMatchObject({ id: reg.json.agentId, status: 'revoked' });
    expect(await auditCount('agent.revoke')).toBe(audits + 1);
    expect((await listed(admin, reg.json.agentId)).status).toBe('revoked');

    const refused = await agentApi('POST', '/heartbeat', { token: credential, body: { version: '1.0.0' } });
    expect(refused.status).toBe(401);
    expect(refused.json.error.message).toContain('revoked');
    expect((await api('DELETE', `/agents/${reg.json.agentId}`, { token: admin })).status).toBe(409);
    expect((await api('DELETE', '/agents/gna-nope', { token: admin })).status).toBe(404);
    expect(await auditCount('agent.revoke')).toBe(audits + 1);
  });

  it('lets a read token list agents but not create install tokens', async () => {
    const admin = await adminToken();
    const { secret } = await tokenWith(admin, { scopes: ['read'] });
    expect((await api('GET', '/agents', { token: secret })).status).toBe(200);
    expect((await api('POST', '/agents/install-tokens', { token: secret, body: {} })).status).toBe(403);
    expect((await api('DELETE', '/agents/any', { token: secret })).status).toBe(403);
    expect((await api('GET', '/agents')).status).toBe(401);
  });
});
