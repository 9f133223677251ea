import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminToken, api, auditCount, createApp, rowCount, uniq } from '../test/client.ts';

/** Puts an execution of `app` in `status` straight into D1, as the orchestrator would. */
async function seedExecution(app: string, status: string, pipelineId: string | null = null) {
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO executions (id, application, pipeline_id, name, status, config, trigger, created_at, updated_at) VALUES (?, ?, ?, 'deploy', ?, '{}', '{\"type\":\"manual\"}', ?, ?)",
  )
    .bind(crypto.randomUUID(), app, pipelineId, status, now, now)
    .run();
}

describe('applications', () => {
  it('creates, lists with search, and refuses a duplicate', async () => {
    const token = await adminToken();
    const pay = uniq('checkout');
    const created = await api('POST', '/applications', { token, body: { name: pay, description: 'payments' } });
    expect(created.status).toBe(201);
    expect(created.json.timeZone).toBe('UTC');
    await api('POST', '/applications', { token, body: { name: uniq('search') } });
    const found = await api('GET', '/applications?q=payments', { token });
    expect(found.json.items.map((a: { name: string }) => a.name)).toEqual([pay]);
    const dup = await api('POST', '/applications', { token, body: { name: pay } });
    expect(dup.status).toBe(409);
    expect(dup.json.error.field).toBe('name');
  });

  it('rejects a bad name with the field and writes nothing', async () => {
    const token = await adminToken();
    const before = await rowCount('audit_events');
    const apps = await rowCount('applications');
    const res = await api('POST', '/applications', { token, body: { name: 'Bad-Name' } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'validation_failed', field: 'name', message: 'name: must be lowercase letters and digits, starting with a letter' });
    expect(res.json.error.requestId).toBeTruthy();
    expect(await rowCount('applications')).toBe(apps);
    expect(await rowCount('audit_events')).toBe(before);
  });

  it('stores every attribute, fills defaults, and records who created it', async () => {
    const token = await adminToken();
    const name = uniq();
    const res = await api('POST', '/applications', {
      token,
      body: { name, email: 'team@example.com', description: 'd', timeZone: 'Europe/Paris', cloudProviders: ['kubernetes'], trafficGuards: [{ account: 'prod', location: 'eu-west-1' }] },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      name,
      email: 'team@example.com',
      timeZone: 'Europe/Paris',
      cloudProviders: ['kubernetes'],
      trafficGuards: [{ account: 'prod', location: 'eu-west-1', stack: '', detail: '', enabled: true }],
      createdBy: 'token:bootstrap-admin',
    });
    expect((await api('GET', `/applications/${name}`, { token })).json).toEqual(res.json);
  });

  it('answers 404 for an application that does not exist and 400 for an impossible name', async () => {
    const token = await adminToken();
    const missing = await api('GET', '/applications/nosuchapp', { token });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'not_found', message: 'application "nosuchapp" not found' });
    const bad = await api('GET', '/applications/Not_An_App', { token });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('app');
  });

  describe('list', () => {
    it('pages by name with a total', async () => {
      const token = await adminToken();
      const prefix = uniq('page');
      for (const suffix of ['c', 'a', 'b']) await createApp(token, `${prefix}${suffix}`);
      const first = await api('GET', `/applications?q=${prefix}&limit=2`, { token });
      expect(first.json).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(first.json.items.map((a: { name: string }) => a.name)).toEqual([`${prefix}a`, `${prefix}b`]);
      const second = await api('GET', `/applications?q=${prefix}&limit=2&offset=2`, { token });
      expect(second.json.items.map((a: { name: string }) => a.name)).toEqual([`${prefix}c`]);
    });

    it('searches owner email and description, taking % and _ literally', async () => {
      const token = await adminToken();
      const name = uniq();
      await api('POST', '/applications', { token, body: { name, email: `${name}@example.com`, description: '100% uptime_guaranteed' } });
      expect((await api('GET', `/applications?q=${name}%40example`, { token })).json.total).toBe(1);
      expect((await api('GET', '/applications?q=100%25%20uptime_g', { token })).json.items.map((a: { name: string }) => a.name)).toContain(name);
      // `%` would match anything if it were a wildcard.
      expect((await api('GET', `/applications?q=${name.slice(0, 4)}%25zz`, { token })).json.total).toBe(0);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      ['page=2', 'page'],
    ])('refuses ?%s naming %s', async (query, field) => {
      const token = await adminToken();
      const res = await api('GET', `/applications?${query}`, { token });
      expect(res.status).toBe(400);
      expect(res.json.error.field).toBe(field);
    });
  });

  describe('update', () => {
    it('changes only the fields sent, clears with null, and audits the fields', async () => {
      const token = await adminToken();
      const name = uniq();
      const created = await api('POST', '/applications', { token, body: { name, email: 'a@example.com', description: 'keep me', timeZone: 'Asia/Tokyo' } });
      const res = await api('PATCH', `/applications/${name}`, { token, body: { email: null, cloudProviders: ['dcos'] } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ name, email: null, description: 'keep me', timeZone: 'Asia/Tokyo', cloudProviders: ['dcos'], createdAt: created.json.createdAt });
      expect(Date.parse(res.json.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.json.updatedAt));
      expect((await api('GET', `/applications/${name}`, { token })).json).toEqual(res.json);
      const audit = await env.DB.prepare("SELECT details FROM audit_events WHERE action = 'application.update' AND resource_id = ?").bind(name).first<{ details: string }>();
      expect(JSON.parse(audit!.details)).toEqual({ fields: ['email', 'cloudProviders'] });
    });

    it('treats an empty patch as no write', async () => {
      const token = await adminToken();
      const name = await createApp(token);
      const before = (await api('GET', `/applications/${name}`, { token })).json;
      const audits = await auditCount('application.update');
      const res = await api('PATCH', `/applications/${name}`, { token, body: {} });
      expect(res.status).toBe(200);
      expect(res.json).toEqual(before);
      expect(await auditCount('application.update')).toBe(audits);
    });

    it.each([
      [{ name: 'renamed' }, 'name', 'unknown field "name"'],
      [{ timeZone: 'Mars/Olympus' }, 'timeZone', 'timeZone: unknown IANA time zone'],
      [{ trafficGuards: [{ account: 'prod' }] }, 'trafficGuards[0].location', 'trafficGuards[0].location: required (expected string)'],
      [{ email: 'nope' }, 'email', 'email: Invalid email address'],
    ])('refuses %j naming %s, and changes nothing', async (body, field, message) => {
      const token = await adminToken();
      const name = await createApp(token);
      const before = (await api('GET', `/applications/${name}`, { token })).json;
      const audits = await rowCount('audit_events');
      const res = await api('PATCH', `/applications/${name}`, { token, body });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'validation_failed', field, message });
      expect((await api('GET', `/applications/${name}`, { token })).json).toEqual(before);
      expect(await rowCount('audit_events')).toBe(audits);
    });

    it('answers 404 for a missing application', async () => {
      const token = await adminToken();
      expect((await api('PATCH', '/applications/nosuchapp', { token, body: { description: 'x' } })).status).toBe(404);
    });
  });

  describe('delete', () => {
    it('deletes the application with its pipelines and their history, and audits it', async () => {
      const token = await adminToken();
      const name = await createApp(token);
      const p = await api('POST', `/applications/${name}/pipelines`, { token, body: { name: 'deploy' } });
      await api('PUT', `/pipelines/${p.json.id}`, { token, body: { name: 'deploy', description: 'v2' } });
      const versions = await rowCount('pipeline_versions');
      const audits = await auditCount('application.delete');
      const res = await api('DELETE', `/applications/${name}`, { token });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ deleted: name, pipelinesDeleted: 1 });
      expect(await rowCount('pipeline_versions')).toBe(versions - 2);
      expect((await api('GET', `/applications/${name}`, { token })).status).toBe(404);
      expect((await api('GET', `/pipelines/${p.json.id}`, { token })).status).toBe(404);
      expect(await auditCount('application.delete')).toBe(audits + 1);
    });

    it.each(['NOT_STARTED', 'RUNNING', 'PAUSED', 'SUSPENDED'])('is refused with 409 while an execution is %s', async (status) => {
      const token = await adminToken();
      const name = await createApp(token);
      await seedExecution(name, status);
      const audits = await rowCount('audit_events');
      const res = await api('DELETE', `/applications/${name}`, { token });
      expect(res.status).toBe(409);
      expect(res.json.error).toMatchObject({ code: 'conflict', message: `application "${name}" has 1 running or waiting execution(s); cancel them first` });
      expect((await api('GET', `/applications/${name}`, { token })).status).toBe(200);
      expect(await rowCount('audit_events')).toBe(audits);
    });

    it.each(['SUCCEEDED', 'TERMINAL', 'CANCELED'])('goes ahead when the only execution is %s', async (status) => {
      const token = await adminToken();
      const name = await createApp(token);
      await seedExecution(name, status);
      expect((await api('DELETE', `/applications/${name}`, { token })).status).toBe(200);
    });

    it('answers 404 for a missing application', async () => {
      const token = await adminToken();
      expect((await api('DELETE', '/applications/nosuchapp', { token })).status).toBe(404);
    });
  });
});
