import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminToken, api, auditCount, login, PASSWORD, rowCount, uniq } from '../test/client.ts';

/** An admin who signs in with a password, as the console's first user does. */
async function signedInAdmin() {
  const email = `${uniq('admin')}@gennaker.test`;
  await adminToken(email);
  return { email, session: await login(email, PASSWORD) };
}

describe('console sign-in', () => {
  it('sets an HttpOnly, SameSite=Lax session cookie and returns the CSRF token', async () => {
    const email = `${uniq('admin')}@gennaker.test`;
    await adminToken(email);
    const audits = await auditCount('auth.login');
    const res = await api('POST', '/auth/login', { body: { email: email.toUpperCase(), password: PASSWORD } });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('Set-Cookie')!;
    expect(cookie).toMatch(/^gennaker_session=gns_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{32};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).toMatch(/Max-Age=43200/);
    // Plain http in tests; the Secure flag follows the scheme.
    expect(cookie).not.toContain('Secure');
    expect(res.json.user).toMatchObject({ email, role: 'admin' });
    expect(res.json.principal).toEqual({ type: 'user', name: email, scopes: ['admin'] });
    expect(res.json.csrfToken).toMatch(/^[0-9a-f]{32}$/);
    expect(await auditCount('auth.login')).toBe(audits + 1);
  });

  it('answers 401 with the same message for a wrong password and an unknown email', async () => {
    const { email } = await signedInAdmin();
    const sessions = await rowCount('sessions');
    const wrong = await api('POST', '/auth/login', { body: { email, password: 'not-the-password' } });
    const unknown = await api('POST', '/auth/login', { body: { email: 'nobody@gennaker.test', password: PASSWORD } });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.json.error).toMatchObject({ code: 'unauthorized', message: 'wrong email or password' });
      expect(res.headers.get('Set-Cookie')).toBeNull();
    }
    expect(await rowCount('sessions')).toBe(sessions);
  });

  it('refuses a disabled user', async () => {
    const { email } = await signedInAdmin();
    await env.DB.prepare('UPDATE users SET disabled_at = ? WHERE email = ?').bind(Date.now(), email).run();
    const res = await api('POST', '/auth/login', { body: { email, password: PASSWORD } });
    expect(res.status).toBe(401);
    expect(res.json.error.message).toBe('wrong email or password');
  });

  it('authenticates reads with the cookie alone', async () => {
    const { email, session } = await signedInAdmin();
    const me = await api('GET', '/auth/session', { headers: { Cookie: session.cookie } });
    expect(me.status).toBe(200);
    expect(me.json.user.email).toBe(email);
    expect(me.json.csrfToken).toBe(session.csrf);
    expect((await api('GET', '/applications', { headers: { Cookie: session.cookie } })).status).toBe(200);
  });

  it('refuses a cookie-authenticated write without the CSRF token and writes nothing', async () => {
    const { session } = await signedInAdmin();
    const apps = await rowCount('applications');
    const audits = await rowCount('audit_events');
    const name = uniq();
    for (const csrf of [undefined, 'f'.repeat(32)]) {
      const res = await api('POST', '/applications', { headers: { Cookie: session.cookie, ...(csrf ? { 'X-CSRF-Token': csrf } : {}) }, body: { name } });
      expect(res.status).toBe(403);
      expect(res.json.error).toMatchObject({ code: 'forbidden', message: 'missing or wrong X-CSRF-Token header for a cookie-authenticated write' });
    }
    expect(await rowCount('applications')).toBe(apps);
    expect(await rowCount('audit_events')).toBe(audits);
  });

  it('accepts a cookie-authenticated write with the CSRF token and audits it under the user', async () => {
    const { email, session } = await signedInAdmin();
    const name = uniq();
    const res = await api('POST', '/applications', { headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf }, body: { name } });
    expect(res.status).toBe(201);
    expect(res.json.createdBy).toBe(email);
    const audit = await env.DB.prepare("SELECT actor_type, actor_name FROM audit_events WHERE action = 'application.create' AND resource_id = ?").bind(name).first();
    expect(audit).toEqual({ actor_type: 'user', actor_name: email });
  });

  it('refuses a malformed, forged or expired session cookie', async () => {
    const { session } = await signedInAdmin();
    const forged = `${session.cookie.slice(0, -32)}${'A'.repeat(32)}`;
    for (const cookie of ['gennaker_session=garbage', forged]) {
      const res = await api('GET', '/auth/session', { headers: { Cookie: cookie } });
      expect(res.status).toBe(401);
    }
    const id = session.cookie.split('=')[1]!.slice(4, 16);
    await env.DB.prepare('UPDATE sessions SET expires_at = ? WHERE id = ?').bind(Date.now() - 1, id).run();
    const expired = await api('GET', '/auth/session', { headers: { Cookie: session.cookie } });
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toBe('session expired; sign in again');
  });

  it('signs out: the session is deleted, the cookie cleared, and it works no more', async () => {
    const { session } = await signedInAdmin();
    const sessions = await rowCount('sessions');
    const audits = await auditCount('auth.logout');
    const res = await api('POST', '/auth/logout', { headers: { Cookie: session.cookie } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true });
    expect(res.headers.get('Set-Cookie')).toMatch(/^gennaker_session=;.*Max-Age=0/);
    expect(await rowCount('sessions')).toBe(sessions - 1);
    expect(await auditCount('auth.logout')).toBe(audits + 1);
    expect((await api('GET', '/auth/session', { headers: { Cookie: session.cookie } })).status).toBe(401);
  });

  it('does not end a session for someone who knows only its id', async () => {
    const { session } = await signedInAdmin();
    const forged = `${session.cookie.slice(0, -32)}${'A'.repeat(32)}`;
    expect((await api('POST', '/auth/logout', { headers: { Cookie: forged } })).status).toBe(200);
    expect((await api('GET', '/auth/session', { headers: { Cookie: session.cookie } })).status).toBe(200);
  });

  it('signs out without a cookie as a harmless no-op', async () => {
    const sessions = await rowCount('sessions');
    const res = await api('POST', '/auth/logout');
    expect(res.status).toBe(200);
    expect(await rowCount('sessions')).toBe(sessions);
  });

  it('tells a token caller who it is, without a user or CSRF token', async () => {
    const token = await adminToken();
    const res = await api('GET', '/auth/session', { token });
    expect(res.json).toEqual({ user: null, principal: { type: 'token', name: 'token:bootstrap-admin', scopes: ['admin'] }, csrfToken: null });
  });
});
