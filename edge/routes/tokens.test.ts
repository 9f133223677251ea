import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminToken, api, auditCount, createApp, rowCount, tokenWith, uniq } from '../test/client.ts';

const tokenRow = (id: string) =>
  env.DB.prepare('SELECT * FROM api_tokens WHERE id = ?').bind(id).first<{ secret_hash: string; revoked_at: number | null; last_used_at: number | null; expires_at: number }>();

describe('API tokens', () => {
  it('shows the secret once at creation and stores only its SHA-256', async () => {
    const admin = await adminToken();
    const created = await api('POST', '/tokens', { token: admin, body: { name: 'ci deploy', scopes: ['read', 'execute'], expiresInDays: 7 } });
    expect(created.status).toBe(201);
    const { secret, token } = created.json;
    expect(secret).toMatch(/^gnk_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{32}$/);
    expect(token).toMatchObject({ name: 'ci deploy', scopes: ['read', 'execute'], applications: null, status: 'active', revokedAt: null, lastUsedAt: null });
    expect(token.createdBy).toBe('token:bootstrap-admin');
    const days = (Date.parse(token.expiresAt) - Date.parse(token.createdAt)) / 86_400_000;
    expect(days).toBe(7);

    const row = await tokenRow(token.id);
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    // Fixed lengths, not the underscores (base64url uses `_` too), delimit the parts.
    const secretPart = secret.slice(-32);
    expect(row!.secret_hash).not.toContain(secretPart);
    const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secretPart)))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(row!.secret_hash).toBe(digest);

    // The new token works, and the answer never repeats the secret.
    const me = await api('GET', '/auth/session', { token: secret });
    expect(me.json.principal).toMatchObject({ type: 'token', name: 'token:ci deploy', scopes: ['read', 'execute'] });
  });

  it('lists tokens without secrets or hashes', async () => {
    const admin = await adminToken();
    const { secret, id } = await tokenWith(admin, { scopes: ['read'] });
    const row = await tokenRow(id);
    const list = await api('GET', '/tokens', { token: admin });
    expect(list.status).toBe(200);
    const item = list.json.items.find((t: { id: string }) => t.id === id);
    expect(item).toBeTruthy();
    expect(Object.keys(item).sort()).toEqual(['applications', 'createdAt', 'createdBy', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'scopes', 'status']);
    expect(list.text).not.toContain(secret.slice(-32));
    expect(list.text).not.toContain(row!.secret_hash);
  });

  it('revokes a token: it stops working with 401, and revoking twice is a 409', async () => {
    const admin = await adminToken();
    const { secret, id } = await tokenWith(admin, { scopes: ['read'], name: 'short lived' });
    expect((await api('GET', '/applications', { token: secret })).status).toBe(200);
    const audits = await auditCount('token.revoke');

    const revoked = await api('DELETE', `/tokens/${id}`, { token: admin });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ id, status: 'revoked' });
    expect(revoked.json.revokedAt).toBeTruthy();
    expect((await tokenRow(id))!.revoked_at).toBeTypeOf('number');
    expect(await auditCount('token.revoke')).toBe(audits + 1);

    const refused = await api('GET', '/applications', { token: secret });
    expect(refused.status).toBe(401);
    expect(refused.json.error).toMatchObject({ code: 'unauthorized', message: 'API token "short lived" was revoked' });

    const again = await api('DELETE', `/tokens/${id}`, { token: admin });
    expect(again.status).toBe(409);
    expect(await auditCount('token.revoke')).toBe(audits + 1);
    expect((await api('DELETE', '/tokens/nosuchtoken00', { token: admin })).status).toBe(404);
  });

  it('refuses an expired token with 401 and lists it as expired', async () => {
    const admin = await adminToken();
    const { secret, id } = await tokenWith(admin, { scopes: ['read'], name: 'expiring' });
    await env.DB.prepare('UPDATE api_tokens SET expires_at = ? WHERE id = ?').bind(Date.now() - 1000, id).run();
    const res = await api('GET', '/applications', { token: secret });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('unauthorized');
    expect(res.json.error.message).toMatch(/^API token "expiring" expired at /);
    const list = await api('GET', '/tokens', { token: admin });
    expect(list.json.items.find((t: { id: string }) => t.id === id).status).toBe('expired');
  });

  it.each([
    ['no header', undefined],
    ['a malformed header', 'Token abc'],
    ['a malformed token', 'Bearer nonsense'],
    ['an unknown token', 'Bearer gnk_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'],
    ['a session secret as a token', 'Bearer gns_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'],
  ])('answers 401 in the error shape for %s', async (_, authorization) => {
    const res = await api('GET', '/applications', { headers: authorization ? { Authorization: authorization } : {} });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: 'unauthorized' });
    expect(res.json.error.requestId).toBeTruthy();
  });

  it('refuses a wrong secret for a real token id', async () => {
    const admin = await adminToken();
    const { secret } = await tokenWith(admin, { scopes: ['read'] });
    const forged = `${secret.slice(0, -32)}${'A'.repeat(32)}`;
    expect((await api('GET', '/applications', { token: forged })).status).toBe(401);
  });

  it('records when a token was last used', async () => {
    const admin = await adminToken();
    const { secret, id } = await tokenWith(admin, { scopes: ['read'] });
    expect((await tokenRow(id))!.last_used_at).toBeNull();
    const before = Date.now();
    expect((await api('GET', '/applications', { token: secret })).status).toBe(200);
    // The update runs in waitUntil, after the response; give it a moment.
    await expect.poll(async () => (await tokenRow(id))!.last_used_at, { timeout: 2000 }).toBeGreaterThanOrEqual(before);
  });

  it('does not record use by a request that failed', async () => {
    const admin = await adminToken();
    const { secret, id } = await tokenWith(admin, { scopes: ['read'] });
    expect((await api('POST', '/applications', { token: secret, body: { name: uniq() } })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 50));
    expect((await tokenRow(id))!.last_used_at).toBeNull();
  });

  describe('scopes', () => {
    it('lets a read-only token read but not write, and the refusal writes nothing', async () => {
      const admin = await adminToken();
      const app = await createApp(admin);
      const { secret } = await tokenWith(admin, { scopes: ['read'] });
      expect((await api('GET', `/applications/${app}`, { token: secret })).status).toBe(200);
      const apps = await rowCount('applications');
      const audit = await rowCount('audit_events');
      const res = await api('POST', '/applications', { token: secret, body: { name: uniq() } });
      expect(res.status).toBe(403);
      expect(res.json.error).toMatchObject({ code: 'forbidden', message: 'this token lacks the "write" scope' });
      expect((await api('PATCH', `/applications/${app}`, { token: secret, body: { description: 'x' } })).status).toBe(403);
      expect((await api('DELETE', `/applications/${app}`, { token: secret })).status).toBe(403);
      expect(await rowCount('applications')).toBe(apps);
      expect(await rowCount('audit_events')).toBe(audit);
    });

    it('lets a write token write but not manage tokens, users, agents or read the whole audit log', async () => {
      const admin = await adminToken();
      const { secret } = await tokenWith(admin, { scopes: ['read', 'write', 'execute'] });
      expect((await api('POST', '/applications', { token: secret, body: { name: uniq() } })).status).toBe(201);
      const tokens = await rowCount('api_tokens');
      for (const [method, path, body] of [
        ['GET', '/tokens'],
        ['POST', '/tokens', { name: 'escalate', scopes: ['admin'] }],
        ['DELETE', '/tokens/whatever'],
        ['GET', '/users'],
        ['POST', '/users', { email: 'x@y.test', name: 'X', password: 'long-enough-password' }],
        ['POST', '/agents/install-tokens', {}],
        ['GET', '/audit'],
      ] as const) {
        const res = await api(method, path, { token: secret, body });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.json.error.code).toBe('forbidden');
      }
      expect(await rowCount('api_tokens')).toBe(tokens);
    });

    it('refuses an unknown scope and an admin token restricted to applications', async () => {
      const admin = await adminToken();
      const tokens = await rowCount('api_tokens');
      const bad = await api('POST', '/tokens', { token: admin, body: { name: 'x', scopes: ['read', 'root'] } });
      expect(bad.status).toBe(400);
      expect(bad.json.error.field).toBe('scopes[1]');
      const restrictedAdmin = await api('POST', '/tokens', { token: admin, body: { name: 'x', scopes: ['admin'], applications: ['checkout'] } });
      expect(restrictedAdmin.status).toBe(400);
      expect(restrictedAdmin.json.error.field).toBe('applications');
      expect(await rowCount('api_tokens')).toBe(tokens);
    });

    it('does not let an admin token bound to applications (say, from an older release) manage the installation', async () => {
      const admin = await adminToken();
      const app = await createApp(admin);
      const { secret, id } = await tokenWith(admin, { scopes: ['admin'] });
      await env.DB.prepare('UPDATE api_tokens SET applications = ? WHERE id = ?').bind(JSON.stringify([app]), id).run();
      expect((await api('GET', '/tokens', { token: secret })).status).toBe(403);
      expect((await api('POST', '/tokens', { token: secret, body: { name: 'wide', scopes: ['admin'] } })).status).toBe(403);
      // Within its application it still has every other scope.
      expect((await api('PATCH', `/applications/${app}`, { token: secret, body: { description: 'fine' } })).status).toBe(200);
    });
  });

  describe('application restriction', () => {
    it('sees and changes only its applications, and lists filter to them', async () => {
      const admin = await adminToken();
      const mine = await createApp(admin);
      const other = await createApp(admin);
      const { secret } = await tokenWith(admin, { scopes: ['read', 'write'], applications: [mine] });

      const list = await api('GET', '/applications?limit=200', { token: secret });
      expect(list.json.items.map((a: { name: string }) => a.name)).toEqual([mine]);
      expect(list.json.total).toBe(1);

      expect((await api('GET', `/applications/${mine}`, { token: secret })).status).toBe(200);
      const hidden = await api('GET', `/applications/${other}`, { token: secret });
      expect(hidden.status).toBe(403);
      expect(hidden.json.error.message).toContain(`not "${other}"`);
      expect((await api('PATCH', `/applications/${other}`, { token: secret, body: { description: 'mine now' } })).status).toBe(403);
      expect((await api('DELETE', `/applications/${other}`, { token: secret })).status).toBe(403);
      expect((await api('POST', '/applications', { token: secret, body: { name: uniq() } })).status).toBe(403);

      // Pipelines of another application are out of reach too.
      const pipe = await api('POST', `/applications/${other}/pipelines`, { token: admin, body: { name: 'deploy' } });
      expect((await api('GET', `/pipelines/${pipe.json.id}`, { token: secret })).status).toBe(403);
      expect((await api('GET', `/applications/${other}/pipelines`, { token: secret })).status).toBe(403);
      expect((await api('POST', `/applications/${other}/pipelines`, { token: secret, body: { name: 'x' } })).status).toBe(403);
      expect((await api('GET', `/audit?application=${other}`, { token: secret })).status).toBe(403);
      expect((await api('GET', `/audit?application=${mine}`, { token: secret })).status).toBe(200);

      expect((await api('PATCH', `/applications/${mine}`, { token: secret, body: { description: 'ok' } })).status).toBe(200);
      expect((await api('GET', `/applications/${other}`, { token: admin })).json.description).toBeNull();
    });
  });
});
