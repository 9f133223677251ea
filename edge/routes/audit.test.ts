import { env } from 'cloudflare:test';
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

  it('filters by actor, by action or its family, and by a time range', async () => {
    const email = `${uniq('auditor')}@gennaker.test`;
    const admin = await adminToken(email);
    const session = await login(email, PASSWORD);
    const headers = { Cookie: session.cookie, 'X-CSRF-Token': session.csrf };
    const app = uniq();
    await api('POST', '/applications', { headers, body: { name: app } });
    await api('PATCH', `/applications/${app}`, { headers, body: { description: 'by the user' } });
    const pipe = await api('POST', `/applications/${app}/pipelines`, { token: admin, body: { name: 'p' } });
    // Known instants, a minute apart, so the range boundaries are exact.
    const t0 = Date.parse('2030-01-01T00:00:00Z');
    for (const [i, action] of ['application.create', 'application.update', 'pipeline.create'].entries()) {
      await env.DB.prepare('UPDATE audit_events SET at = ? WHERE application = ? AND action = ?').bind(t0 + i * 60_000, app, action).run();
    }
    const actions = async (query: string) => {
      const res = await api('GET', `/audit?${query}`, { token: admin });
      expect(res.status, res.text).toBe(200);
      return (res.json.items as Event[]).map((e) => e.action);
    };

    const mine = (await api('GET', `/audit?actor=${encodeURIComponent(email)}`, { token: admin })).json.items as Event[];
    expect(mine.every((e) => e.actorName === email)).toBe(true);
    expect(mine.filter((e) => e.application === app).map((e) => e.action)).toEqual(['application.update', 'application.create']);
    expect(mine.some((e) => e.resourceId === pipe.json.id)).toBe(false);

    expect(await actions(`application=${app}&action=application`)).toEqual(['application.update', 'application.create']);
    expect(await actions(`application=${app}&action=application.update`)).toEqual(['application.update']);
    // A family matches whole dot-separated parts only.
    expect(await actions(`application=${app}&action=applic`)).toEqual([]);

    const at = (i: number) => encodeURIComponent(new Date(t0 + i * 60_000).toISOString());
    expect(await actions(`application=${app}&from=${at(1)}`)).toEqual(['pipeline.create', 'application.update']);
    expect(await actions(`application=${app}&to=${at(1)}`)).toEqual(['application.create']);
    expect(await actions(`application=${app}&from=${at(1)}&to=${at(2)}`)).toEqual(['application.update']);
    const total = await api('GET', `/audit?application=${app}&from=${at(1)}&limit=1`, { token: admin });
    expect(total.json.total).toBe(2);
  });

  it('pages older events by cursor, each event once, unmoved by events written meanwhile', async () => {
    const admin = await adminToken();
    const app = await createApp(admin);
    for (const description of ['one', 'two', 'three']) await api('PATCH', `/applications/${app}`, { token: admin, body: { description } });
    // Two events in the same millisecond: the id breaks the tie, so neither is skipped or repeated.
    const t0 = Date.parse('2020-06-01T00:00:00Z');
    await env.DB.prepare('UPDATE audit_events SET at = ? WHERE application = ?').bind(t0, app).run();
    const all = (await api('GET', `/audit?application=${app}`, { token: admin })).json.items as (Event & { id: string })[];
    expect(all).toHaveLength(4);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api('GET', `/audit?application=${app}&limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: admin });
      expect(res.status, res.text).toBe(200);
      expect(res.json.total).toBe(4 + (seen.length ? 1 : 0));
      seen.push(...res.json.items.map((e: { id: string }) => e.id));
      cursor = res.json.nextCursor;
      // A newer event arrives between pages; the next page still starts after the last one seen.
      if (seen.length === 3) await api('PATCH', `/applications/${app}`, { token: admin, body: { description: 'four' } });
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it('refuses bad query parameters naming them', async () => {
    const admin = await adminToken();
    for (const [query, field] of [
      ['limit=500', 'limit'],
      ['application=Bad-Name', 'application'],
      ['from=yesterday', 'from'],
      ['to=2030-01-01', 'to'],
      ['from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z', 'to'],
      ['action=user%25', 'action'],
      ['cursor=not-ours', 'cursor'],
      [`cursor=${btoa('1:x')}&offset=5`, 'cursor'],
      ['sort=at', 'sort'],
    ]) {
      const res = await api('GET', `/audit?${query}`, { token: admin });
      expect(res.status, query).toBe(400);
      expect(res.json.error.field, query).toBe(field);
    }
  });
});
