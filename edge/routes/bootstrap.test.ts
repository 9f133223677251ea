import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, login, PASSWORD, rowCount, uniq } from '../test/client.ts';

const secret = () => env.GENNAKER_BOOTSTRAP_SECRET!;

describe('bootstrap', () => {
  it('creates an admin user and an admin token, with an audit row', async () => {
    const email = `${uniq('boot')}@gennaker.test`;
    const [users, tokens] = [await rowCount('users'), await rowCount('api_tokens')];
    const res = await api('POST', '/bootstrap', { headers: { 'x-bootstrap-secret': secret() }, body: { email, password: PASSWORD, tokenName: 'first' } });
    expect(res.status).toBe(201);
    expect(res.json.token).toMatch(/^gnk_/);
    expect(await rowCount('users')).toBe(users + 1);
    expect(await rowCount('api_tokens')).toBe(tokens + 1);
    const me = await api('GET', '/auth/session', { token: res.json.token });
    expect(me.json.principal).toMatchObject({ name: 'token:first', scopes: ['admin'] });
    const audit = await env.DB.prepare("SELECT actor_name FROM audit_events WHERE action = 'bootstrap.create' AND resource_id = ?").bind(res.json.userId).first();
    expect(audit).toEqual({ actor_name: email });
    await login(email, PASSWORD);
  });

  it('resets the password of an existing user and makes them admin again', async () => {
    const email = `${uniq('boot')}@gennaker.test`;
    await api('POST', '/bootstrap', { headers: { 'x-bootstrap-secret': secret() }, body: { email, password: PASSWORD } });
    const users = await rowCount('users');
    const res = await api('POST', '/bootstrap', { headers: { 'x-bootstrap-secret': secret() }, body: { email, password: 'a-brand-new-password' } });
    expect(res.status).toBe(201);
    expect(await rowCount('users')).toBe(users);
    await login(email, 'a-brand-new-password');
  });

  it('refuses a wrong secret with 401 and writes nothing, whatever the body', async () => {
    const [users, audit] = [await rowCount('users'), await rowCount('audit_events')];
    for (const body of [{ email: 'x@gennaker.test', password: PASSWORD }, { email: 'not an email', zzz: 1 }]) {
      const res = await api('POST', '/bootstrap', { headers: { 'x-bootstrap-secret': 'wrong-secret-of-some-length' }, body });
      expect(res.status).toBe(401);
      expect(res.json.error).toMatchObject({ code: 'unauthorized', message: 'wrong bootstrap secret' });
    }
    expect(await rowCount('users')).toBe(users);
    expect(await rowCount('audit_events')).toBe(audit);
  });

  it('answers 400 naming the header when the secret header is missing', async () => {
    const res = await api('POST', '/bootstrap', { body: { email: 'x@gennaker.test', password: PASSWORD } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'validation_failed', field: 'x-bootstrap-secret' });
  });

  it('names the bad field of a body sent with the right secret', async () => {
    const users = await rowCount('users');
    const short = await api('POST', '/bootstrap', { headers: { 'x-bootstrap-secret': secret() }, body: { email: 'x@gennaker.test', password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.json.error.field).toBe('password');
    const email = await api('POST', '/bootstrap', { headers: { 'x-bootstrap-secret': secret() }, body: { email: 'nope', password: PASSWORD } });
    expect(email.json.error.field).toBe('email');
    expect(await rowCount('users')).toBe(users);
  });
});
