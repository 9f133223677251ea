import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminToken, agentApi, api, rowCount, uniq } from '../test/client.ts';

/** A fresh one-time install token, as `POST /api/v1/agents/install-tokens` hands it out. */
async function installToken(admin?: string) {
  const res = await api('POST', '/agents/install-tokens', { token: admin ?? (await adminToken()), body: { expiresInMinutes: 5 } });
  expect(res.status).toBe(201);
  return res.json as { id: string; token: string; expiresAt: string };
}

const registration = (token: string, accounts = [{ name: uniq('acct'), provider: 'local', locations: ['here'] }]) => ({
  installToken: token,
  name: uniq('agent'),
  version: '0.1.0',
  hostname: 'build-01',
  accounts,
});

/** Rows a refused registration must leave alone. */
const counts = async () => [await rowCount('agents'), await rowCount('accounts'), await rowCount('audit_events')];

describe('agent protocol', () => {
  describe('register', () => {
    it('registers with a one-time install token and returns a credential shown once', async () => {
      const install = await installToken();
      const body = registration(install.token);
      const [agents, accounts] = await counts();
      const res = await agentApi('POST', '/register', { body });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ heartbeatIntervalSec: 15 });
      expect(res.json.credential).toMatch(/^gna_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{32}$/);
      expect(await rowCount('agents')).toBe(agents! + 1);
      expect(await rowCount('accounts')).toBe(accounts! + 1);
      const row = await env.DB.prepare('SELECT name, version, hostname, secret_hash FROM agents WHERE id = ?').bind(res.json.agentId).first<Record<string, string>>();
      expect(row).toMatchObject({ name: body.name, version: '0.1.0', hostname: 'build-01' });
      expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      const used = await env.DB.prepare('SELECT used_at, agent_id FROM agent_install_tokens WHERE id = ?').bind(install.id).first<Record<string, unknown>>();
      expect(used!.agent_id).toBe(res.json.agentId);
      const audit = await env.DB.prepare("SELECT actor_type, actor_name FROM audit_events WHERE action = 'agent.register' AND resource_id = ?").bind(res.json.agentId).first();
      expect(audit).toEqual({ actor_type: 'agent', actor_name: body.name });
    });

    it('refuses a second use of the install token with 401 and writes nothing', async () => {
      const install = await installToken();
      expect((await agentApi('POST', '/register', { body: registration(install.token) })).status).toBe(201);
      const before = await counts();
      const again = await agentApi('POST', '/register', { body: registration(install.token) });
      expect(again.status).toBe(401);
      expect(again.json.error).toMatchObject({ code: 'unauthorized', message: 'install token was already used; create a new one' });
      expect(await counts()).toEqual(before);
    });

    it('registers one agent when the same install token is used twice at once', async () => {
      const install = await installToken();
      const agents = await rowCount('agents');
      const results = await Promise.all([agentApi('POST', '/register', { body: registration(install.token) }), agentApi('POST', '/register', { body: registration(install.token) })]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 401]);
      expect(await rowCount('agents')).toBe(agents + 1);
    });

    it('refuses an expired install token', async () => {
      const install = await installToken();
      await env.DB.prepare('UPDATE agent_install_tokens SET expires_at = ? WHERE id = ?').bind(Date.now() - 1, install.id).run();
      const before = await counts();
      const res = await agentApi('POST', '/register', { body: registration(install.token) });
      expect(res.status).toBe(401);
      expect(res.json.error.message).toBe('install token expired; create a new one');
      expect(await counts()).toEqual(before);
    });

    it.each([
      ['a malformed token', 'gni_short'],
      ['an unknown token', 'gni_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'],
      ['an API token', 'gnk_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'],
    ])('refuses %s with 401', async (_, token) => {
      const res = await agentApi('POST', '/register', { body: registration(token) });
      expect(res.status).toBe(401);
    });

    it.each([
      [(b: Record<string, unknown>) => ({ ...b, installToken: undefined }), 'installToken'],
      [(b: Record<string, unknown>) => ({ ...b, name: 'has spaces' }), 'name'],
      [(b: Record<string, unknown>) => ({ ...b, accounts: [{ name: 'a', provider: 'openstack', locations: ['x'] }] }), 'accounts[0].provider'],
      [(b: Record<string, unknown>) => ({ ...b, accounts: [{ name: 'a', provider: 'local', locations: [] }] }), 'accounts[0].locations'],
      [(b: Record<string, unknown>) => ({ ...b, accounts: [{ name: 'a', provider: 'local', locations: ['x'] }, { name: 'a', provider: 'local', locations: ['y'] }] }), 'accounts[1].name'],
      [(b: Record<string, unknown>) => ({ ...b, labels: {} }), 'labels'],
    ])('refuses a malformed body naming the field (%#) without using the token', async (mutate, field) => {
      const install = await installToken();
      const before = await counts();
      const res = await agentApi('POST', '/register', { body: mutate(registration(install.token)) });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'validation_failed', field });
      expect(await counts()).toEqual(before);
      expect((await agentApi('POST', '/register', { body: registration(install.token) })).status).toBe(201);
    });

    it("refuses an account another agent serves with another provider, leaving the token usable", async () => {
      const admin = await adminToken();
      const account = uniq('acct');
      expect((await agentApi('POST', '/register', { body: registration((await installToken(admin)).token, [{ name: account, provider: 'local', locations: ['x'] }]) })).status).toBe(201);
      const install = await installToken(admin);
      const before = await counts();
      const res = await agentApi('POST', '/register', { body: registration(install.token, [{ name: account, provider: 'kubernetes', locations: ['x'] }]) });
      expect(res.status).toBe(409);
      expect(res.json.error.field).toBe('accounts[0].provider');
      expect(await counts()).toEqual(before);
      expect((await agentApi('POST', '/register', { body: registration(install.token) })).status).toBe(201);
    });

    describe('an account another agent serves', () => {
      /** Registers an agent serving `account` and returns its id. */
      async function servedBy(account: string, admin: string) {
        const res = await agentApi('POST', '/register', { body: registration((await installToken(admin)).token, [{ name: account, provider: 'local', locations: ['x'] }]) });
        expect(res.status).toBe(201);
        return res.json.agentId as string;
      }
      const holderOf = async (account: string) => (await env.DB.prepare('SELECT agent_id FROM accounts WHERE name = ?').bind(account).first<{ agent_id: string }>())!.agent_id;

      it('is refused while that agent is online, naming the account and saying how to replace an agent, leaving the token usable', async () => {
        const admin = await adminToken();
        const account = uniq('acct');
        const first = await servedBy(account, admin);
        const firstName = (await env.DB.prepare('SELECT name FROM agents WHERE id = ?').bind(first).first<{ name: string }>())!.name;
        const install = await installToken(admin);
        const before = await counts();
        const other = { name: uniq('acct'), provider: 'local', locations: ['y'] };
        const res = await agentApi('POST', '/register', { body: registration(install.token, [other, { name: account, provider: 'local', locations: ['x'] }]) });
        expect(res.status).toBe(409);
        expect(res.json.error).toMatchObject({ code: 'conflict', field: 'accounts[1].name' });
        expect(res.json.error.message).toBe(
          `account "${account}" is served by agent "${firstName}", which is online. An account moves to a new agent only when its agent is offline or revoked (that is how an agent is replaced): choose another account name, or stop or revoke "${firstName}" first`,
        );
        expect(await counts()).toEqual(before);
        expect(await holderOf(account)).toBe(first);
        expect((await agentApi('POST', '/register', { body: registration(install.token) })).status).toBe(201);
      });

      it.each([
        ['offline (not heard from for 90 s)', 'UPDATE agents SET last_seen_at = ? WHERE id = ?', () => Date.now() - 90_000],
        ['revoked, though heard from just now', 'UPDATE agents SET revoked_at = ? WHERE id = ?', () => Date.now()],
      ])('moves to the new agent when that agent is %s: how an agent is replaced', async (_, update, at) => {
        const admin = await adminToken();
        const account = uniq('acct');
        const first = await servedBy(account, admin);
        await env.DB.prepare(update).bind(at(), first).run();
        const accounts = await rowCount('accounts');
        const res = await agentApi('POST', '/register', { body: registration((await installToken(admin)).token, [{ name: account, provider: 'local', locations: ['z'] }]) });
        expect(res.status).toBe(201);
        expect(await holderOf(account)).toBe(res.json.agentId);
        expect(await rowCount('accounts')).toBe(accounts);
        const row = await env.DB.prepare('SELECT locations FROM accounts WHERE name = ?').bind(account).first<{ locations: string }>();
        expect(JSON.parse(row!.locations)).toEqual(['z']);
      });

      it('stays with an agent heard from 89 s ago: it is still online', async () => {
        const admin = await adminToken();
        const account = uniq('acct');
        const first = await servedBy(account, admin);
        await env.DB.prepare('UPDATE agents SET last_seen_at = ? WHERE id = ?').bind(Date.now() - 89_000, first).run();
        const res = await agentApi('POST', '/register', { body: registration((await installToken(admin)).token, [{ name: account, provider: 'local', locations: ['x'] }]) });
        expect(res.status).toBe(409);
        expect(await holderOf(account)).toBe(first);
      });
    });
  });

  describe('heartbeat', () => {
    async function registered() {
      const res = await agentApi('POST', '/register', { body: registration((await installToken()).token) });
      return res.json as { agentId: string; credential: string };
    }

    it('records that the agent was seen, and its version', async () => {
      const agent = await registered();
      await env.DB.prepare('UPDATE agents SET last_seen_at = 0 WHERE id = ?').bind(agent.agentId).run();
      const res = await agentApi('POST', '/heartbeat', { token: agent.credential, body: { version: '0.2.0' } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ ok: true, heartbeatIntervalSec: 15 });
      expect(Math.abs(Date.parse(res.json.serverTime) - Date.now())).toBeLessThan(5000);
      const row = await env.DB.prepare('SELECT version, last_seen_at FROM agents WHERE id = ?').bind(agent.agentId).first<{ version: string; last_seen_at: number }>();
      expect(row!.version).toBe('0.2.0');
      expect(row!.last_seen_at).toBeGreaterThan(0);
    });

    it.each([
      ['no credential', undefined],
      ['an API token', 'gnk_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'],
      ['an unknown credential', 'gna_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'],
    ])('refuses %s with 401, before looking at the body', async (_, token) => {
      const res = await agentApi('POST', '/heartbeat', { token, body: { version: 5 } });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('unauthorized');
    });

    it('refuses a revoked agent', async () => {
      const agent = await registered();
      await env.DB.prepare('UPDATE agents SET revoked_at = ? WHERE id = ?').bind(Date.now(), agent.agentId).run();
      const res = await agentApi('POST', '/heartbeat', { token: agent.credential, body: { version: '1' } });
      expect(res.status).toBe(401);
      expect(res.json.error.message).toMatch(/was revoked$/);
    });

    it('names the bad field of a heartbeat', async () => {
      const agent = await registered();
      const res = await agentApi('POST', '/heartbeat', { token: agent.credential, body: { version: '' } });
      expect(res.status).toBe(400);
      expect(res.json.error.field).toBe('version');
    });
  });
});
