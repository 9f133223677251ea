import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminToken, api, auditCount, login, PASSWORD, rowCount, tokenWith, uniq } from '../test/client.ts';

describe('users', () => {
  it('lets an admin add a member who can then sign in with member rights', async () => {
    const admin = await adminToken();
    const email = `${uniq('m')}@Gennaker.test`;
    const audits = await auditCount('user.create');
    const res = await api('POST', '/users', { token: admin, body: { email, name: 'Mia Member', password: PASSWORD } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ email: email.toLowerCase(), name: 'Mia Member', role: 'member', disabledAt: null });
    expect(res.json).not.toHaveProperty('password');
    expect(res.json).not.toHaveProperty('passwordHash');
    expect(await auditCount('user.create')).toBe(audits + 1);
    const audit = await env.DB.prepare("SELECT actor_name, details FROM audit_events WHERE action = 'user.create' AND resource_id = ?").bind(res.json.id).first<{ actor_name: string; details: string }>();
    expect(audit!.actor_name).toBe('token:bootstrap-admin');
    expect(audit!.details).not.toContain(PASSWORD);

    const session = await login(email, PASSWORD);
    const me = await api('GET', '/auth/session', { headers: { Cookie: session.cookie } });
    expect(me.json.principal.scopes).toEqual(['read', 'write', 'execute']);
    // A member works on applications but does not manage users or tokens.
    const headers = { Cookie: session.cookie, 'X-CSRF-Token': session.csrf };
    expect((await api('POST', '/applications', { headers, body: { name: uniq() } })).status).toBe(201);
    expect((await api('GET', '/users', { headers })).status).toBe(403);
    expect((await api('POST', '/tokens', { headers, body: { name: 'mine', scopes: ['read'] } })).status).toBe(403);
  });

  it('lets an admin add another admin', async () => {
    const admin = await adminToken();
    const email = `${uniq('a')}@gennaker.test`;
    const res = await api('POST', '/users', { token: admin, body: { email, name: 'Ada Admin', role: 'admin', password: PASSWORD } });
    expect(res.json.role).toBe('admin');
    const session = await login(email, PASSWORD);
    expect((await api('GET', '/users', { headers: { Cookie: session.cookie } })).status).toBe(200);
  });

  it('lists users without password hashes', async () => {
    const admin = await adminToken();
    const res = await api('GET', '/users', { token: admin });
    expect(res.status).toBe(200);
    expect(res.json.items.length).toBeGreaterThan(0);
    for (const u of res.json.items) expect(Object.keys(u).sort()).toEqual(['createdAt', 'disabledAt', 'email', 'id', 'name', 'role']);
    expect(res.text).not.toContain('pbkdf2');
  });

  it('pages users by email, counting them all', async () => {
    const admin = await adminToken();
    // Emails that sort first, so they are the first page whatever other tests added.
    const emails = [`${uniq('0000a')}@gennaker.test`, `${uniq('0000b')}@gennaker.test`];
    for (const email of emails) await api('POST', '/users', { token: admin, body: { email, name: 'Paged', password: PASSWORD } });
    const first = await api('GET', '/users?limit=1', { token: admin });
    expect(first.json).toMatchObject({ total: await rowCount('users'), limit: 1, offset: 0 });
    const all = (await api('GET', `/users?limit=200`, { token: admin })).json.items.map((u: { email: string }) => u.email);
    expect(all).toEqual([...all].sort());
    expect(first.json.items.map((u: { email: string }) => u.email)).toEqual(all.slice(0, 1));
    const second = await api('GET', '/users?limit=1&offset=1', { token: admin });
    expect(second.json.items.map((u: { email: string }) => u.email)).toEqual(all.slice(1, 2));
    for (const [query, field] of [['limit=201', 'limit'], ['offset=x', 'offset'], ['role=admin', 'role']]) {
      const res = await api('GET', `/users?${query}`, { token: admin });
      expect(res.status, query).toBe(400);
      expect(res.json.error.field, query).toBe(field);
    }
  });

  it('refuses a second user with the same email (any case) with 409 and writes nothing', async () => {
    const admin = await adminToken();
    const email = `${uniq('d')}@gennaker.test`;
    await api('POST', '/users', { token: admin, body: { email, name: 'One', password: PASSWORD } });
    const users = await rowCount('users');
    const dup = await api('POST', '/users', { token: admin, body: { email: email.toUpperCase(), name: 'Two', password: PASSWORD } });
    expect(dup.status).toBe(409);
    expect(dup.json.error).toMatchObject({ code: 'conflict', field: 'email' });
    expect(await rowCount('users')).toBe(users);
  });

  it.each([
    [{ email: 'not-an-email', name: 'X', password: PASSWORD }, 'email'],
    [{ email: 'x@gennaker.test', name: 'X', password: 'short' }, 'password'],
    [{ email: 'x@gennaker.test', name: 'X', password: PASSWORD, role: 'root' }, 'role'],
    [{ email: 'x@gennaker.test', password: PASSWORD }, 'name'],
  ])('names the bad field of %j', async (body, field) => {
    const admin = await adminToken();
    const users = await rowCount('users');
    const res = await api('POST', '/users', { token: admin, body });
    expect(res.status).toBe(400);
    expect(res.json.error.field).toBe(field);
    expect(await rowCount('users')).toBe(users);
  });

  it('needs admin: a read/write token is refused', async () => {
    const admin = await adminToken();
    const { secret } = await tokenWith(admin, { scopes: ['read', 'write', 'execute'] });
    expect((await api('GET', '/users', { token: secret })).status).toBe(403);
  });
});
