import { describe, expect, it } from 'vitest';
import { adminToken, api, createApp, login, PASSWORD, tokenWith, uniq } from '../test/client.ts';

interface Event {
  action: string;
  actorType: string;
  actorName: string;
  resourceType: string;
  resourceId: string;
  application: string | null;
  requestId: string | null;
  at: string;
}

/** The newest audit events, as an admin sees them. */
async function recent(token: string, limit = 200): Promise<Event[]> {
  const res = await api('GET', `/audit?limit=${limit}`, { token });
  expect(res.status).toBe(200);
  return res.json.items;
}

describe('audit', () => {
  it('records every write family with who did it, what, and the request id', async () => {
    const admin = await adminToken();
    const name = uniq();
    const app = await api('POST', '/applications', { token: admin, body: { name } });
    await api('PATCH', `/applications/${name}`, { token: admin, body: { description: 'x' } });
    const pipe = await api('POST', `/applications/${name}/pipelines`, { token: admin, body: { name: 'p' } });
    await api('PUT', `/pipelines/${pipe.json.id}`, { token: admin, body: { name: 'p', description: 'v2' } });
    await api('POST', `/pipelines/${pipe.json.id}/versions/1/restore`, { token: admin });
    await api('DELETE', `/pipelines/${pipe.json.id}`, { token: admin });
    await api('DELETE', `/applications/${name}`, { token: admin });
    const token = await tokenWith(admin, { scopes: ['read'] });
    await api('DELETE', `/tokens/${token.id}`, { token: admin });
    const user = await api('POST', '/users', { token: admin, body: { email: `${uniq('u')}@gennaker.test`, name: 'U', password: PASSWORD } });
    const install = await api('POST', '/agents/install-tokens', { token: admin, body: {} });

    const events = await recent(admin);
    const find = (action: string, resourceId: string) => events.find((e) => e.action === action && e.resourceId === resourceId);
    for (const [action, resourceId] of [
      ['application.create', name],
      ['application.update', name],
      ['application.delete', name],
      ['pipeline.create', pipe.json.id],
      ['pipeline.update', pipe.json.id],
      ['pipeline.restore', pipe.json.id],
      ['pipeline.delete', pipe.json.id],
      ['token.create', token.id],
      ['token.revoke', token.id],
      ['user.create', user.json.id],
      ['agent.install-token.create', install.json.id],
    ]) {
      expect(find(action!, resourceId!), action).toMatchObject({ actorType: 'token', actorName: 'token:bootstrap-admin' });
    }
    expect(find('application.create', name)!.requestId).toBe(app.headers.get('X-Request-Id'));
    expect(find('pipeline.create', pipe.json.id)!.application).toBe(name);
  });

  it('names the signed-in user as the actor of a console write', async () => {
    const email = `${uniq('admin')}@gennaker.test`;
    const admin = await adminToken(email);
    const session = await login(email, PASSWORD);
    const name = uniq();
    await api('POST', '/applications', { headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf }, body: { name } });
    const event = (await recent(admin)).find((e) => e.action === 'application.create' && e.resourceId === name);
    expect(event).toMatchObject({ actorType: 'user', actorName: email });
  });

  it('lists newest first and pages', async () => {
    const admin = await adminToken();
    const a = await createApp(admin);
    await api('PATCH', `/applications/${a}`, { token: admin, body: { description: 'later' } });
    const page = await api('GET', `/audit?application=${a}&limit=1`, { token: admin });
    expect(page.json).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(page.json.items.map((e: Event) => e.action)).toEqual(['application.update']);
    const next = await api('GET', `/audit?application=${a}&limit=1&offset=1`, { token: admin });
    expect(next.json.items.map((e: Event) => e.action)).toEqual(['application.create']);
  });

  it("needs admin for the whole log, and read on an application for that application's log", async () => {
    const admin = await adminToken();
    const app = await createApp(admin);
    const { secret } = await tokenWith(admin, { scopes: ['read'] });
    const all = await api('GET', '/audit', { token: secret });
    expect(all.status).toBe(403);
    expect(all.json.error.message).toBe('this token lacks the "admin" scope');
    const one = await api('GET', `/audit?application=${app}`, { token: secret });
    expect(one.status).toBe(200);
    expect(one.json.items.every((e: Event) => e.application === app)).toBe(true);
    expect((await api('GET', '/audit')).status).toBe(401);
  });

  it('refuses bad query parameters naming them', async () => {
    const admin = await adminToken();
    for (const [query, field] of [['limit=500', 'limit'], ['application=Bad-Name', 'application'], ['actor=me', 'actor']]) {
      const res = await api('GET', `/audit?${query}`, { token: admin });
      expect(res.status).toBe(400);
      expect(res.json.error.field).toBe(field);
    }
  });
});
