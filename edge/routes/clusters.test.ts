import { OpenAPIHono } from '@hono/zod-openapi';
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { requestId } from 'hono/request-id';
import { describe, expect, it } from 'vitest';
import { app } from '../app.ts';
import { parseServerGroupName } from '../clusters/naming.ts';
import type { AppEnv } from '../env.ts';
import { onError } from '../errors.ts';
import { adminToken, api, BASE, createApp, tokenWith, uniq } from '../test/client.ts';
import { clusterRoutes } from './clusters.ts';

// Until edge/app.ts mounts the routes, they are served by a copy of its /api/v1 wiring; once
// mounted, the tests go through the real Worker.
const mounted = app.routes.some((r) => r.path === '/api/v1/server-groups/:id');
const local = new OpenAPIHono<AppEnv>();
local.use('/api/*', requestId({ headerName: 'X-Request-Id' }));
local.route('/api/v1', clusterRoutes);
local.onError(onError);

async function get(path: string, token?: string) {
  if (mounted) return api('GET', path, { token });
  const ctx = createExecutionContext();
  const res = await local.request(`${BASE}/api/v1${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} }, env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as any };
}

interface Seed {
  app: string;
  account: string;
  location?: string;
  name: string;
  disabled?: boolean;
  createdAt: number;
  health?: string[];
}

/** Writes a server group and its instances straight into D1, as the agent API would; returns its id. */
async function seed(s: Seed): Promise<string> {
  const id = crypto.randomUUID();
  const m = parseServerGroupName(s.name)!;
  const stmts = [
    env.DB.prepare(
      `INSERT INTO server_groups (id, account, location, name, application, cluster, stack, detail, sequence, disabled, capacity, artifact, load_balancers, created_at, reported_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).bind(
      id, s.account, s.location ?? 'local', s.name, s.app, m.cluster, m.stack, m.detail, m.sequence, s.disabled ? 1 : 0,
      JSON.stringify({ min: 1, max: 3, desired: (s.health ?? []).length }), JSON.stringify({ type: 'process', command: 'node', version: s.name }),
      JSON.stringify([`${s.app}-lb`]), s.createdAt, s.createdAt + 500,
    ),
    ...(s.health ?? []).map((health, i) =>
      env.DB.prepare('INSERT INTO instances (id, server_group_id, name, health, address, launched_at, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .bind(crypto.randomUUID(), id, `${s.name}-i${i}`, health, `127.0.0.1:${9000 + i}`, i === 0 ? null : s.createdAt + i, s.createdAt + 500),
    ),
  ];
  await env.DB.batch(stmts);
  return id;
}

const T = Date.UTC(2030, 0, 1);

describe('GET /applications/{app}/clusters', () => {
  it('groups by account, cluster and location, newest group first, with instance counts', async () => {
    const token = await adminToken();
    const app = await createApp(token);
    const acct = uniq('acct');
    await env.DB.prepare("INSERT INTO accounts (name, provider, locations, created_at, updated_at) VALUES (?, 'local', '[\"local\"]', ?, ?)").bind(acct, T, T).run();
    const other = uniq('zacct');
    await seed({ app, account: acct, name: `${app}-v001`, createdAt: T, disabled: true, health: ['Up', 'OutOfService'] });
    const v2 = await seed({ app, account: acct, name: `${app}-v002`, createdAt: T + 1000, health: ['Up', 'Starting', 'Draining', 'Down', 'Unknown'] });
    await seed({ app, account: acct, location: 'eu', name: `${app}-v000`, createdAt: T - 1000, health: [] });
    await seed({ app, account: acct, name: `${app}-prod-blue-v005`, createdAt: T, health: ['Up'] });
    await seed({ app, account: other, name: `${app}--canary`, createdAt: T, health: ['Up'] });
    await seed({ app: `${app}x`, account: acct, name: `${app}x-v001`, createdAt: T, health: ['Up'] });

    const res = await get(`/applications/${app}/clusters`, token);
    expect(res.status).toBe(200);
    const shape = res.json.accounts.map((a: any) => ({
      account: a.account,
      provider: a.provider,
      clusters: a.clusters.map((c: any) => ({ cluster: c.cluster, stack: c.stack, detail: c.detail, locations: c.locations.map((l: any) => [l.location, l.serverGroups.map((g: any) => g.name)]) })),
    }));
    expect(shape).toEqual([
      {
        account: acct,
        provider: 'local',
        clusters: [
          { cluster: app, stack: '', detail: '', locations: [['eu', [`${app}-v000`]], ['local', [`${app}-v002`, `${app}-v001`]]] },
          { cluster: `${app}-prod-blue`, stack: 'prod', detail: 'blue', locations: [['local', [`${app}-prod-blue-v005`]]] },
        ],
      },
      { account: other, provider: undefined, clusters: [{ cluster: `${app}--canary`, stack: '', detail: 'canary', locations: [['local', [`${app}--canary`]]] }] },
    ]);
    const newest = res.json.accounts[0].clusters[0].locations[1].serverGroups[0];
    expect(newest).toEqual({
      id: v2,
      name: `${app}-v002`,
      sequence: 2,
      disabled: false,
      capacity: { min: 1, max: 3, desired: 5 },
      artifact: { type: 'process', command: 'node', version: `${app}-v002` },
      loadBalancers: [`${app}-lb`],
      createdAt: new Date(T + 1000).toISOString(),
      reportedAt: new Date(T + 1500).toISOString(),
      instanceCounts: { up: 1, down: 1, starting: 1, outOfService: 0, draining: 1, unknown: 1, total: 5 },
      instances: [
        { name: `${app}-v002-i0`, health: 'Up', address: '127.0.0.1:9000', launchedAt: null },
        { name: `${app}-v002-i1`, health: 'Starting', address: '127.0.0.1:9001', launchedAt: new Date(T + 1001).toISOString() },
        { name: `${app}-v002-i2`, health: 'Draining', address: '127.0.0.1:9002', launchedAt: new Date(T + 1002).toISOString() },
        { name: `${app}-v002-i3`, health: 'Down', address: '127.0.0.1:9003', launchedAt: new Date(T + 1003).toISOString() },
        { name: `${app}-v002-i4`, health: 'Unknown', address: '127.0.0.1:9004', launchedAt: new Date(T + 1004).toISOString() },
      ],
    });
    expect(res.json.accounts[0].clusters[0].locations[1].serverGroups[1]).toMatchObject({ disabled: true, instanceCounts: { up: 1, outOfService: 1, total: 2 } });
  });

  it('answers an empty list for an application with no server groups', async () => {
    const token = await adminToken();
    const app = await createApp(token);
    expect(await get(`/applications/${app}/clusters`, token)).toMatchObject({ status: 200, json: { accounts: [] } });
  });

  it('answers 404 for a missing application, 400 for a bad name, 401 without a token', async () => {
    const token = await adminToken();
    const missing = await get('/applications/nosuchapp/clusters', token);
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'not_found', message: 'application "nosuchapp" not found' });
    const bad = await get('/applications/Bad_Name/clusters', token);
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('app');
    expect((await get('/applications/nosuchapp/clusters')).status).toBe(401);
  });

  it('refuses a token restricted to other applications', async () => {
    const admin = await adminToken();
    const app = await createApp(admin);
    const mine = await createApp(admin);
    const { secret } = await tokenWith(admin, { scopes: ['read'], applications: [mine] });
    expect((await get(`/applications/${mine}/clusters`, secret)).status).toBe(200);
    const res = await get(`/applications/${app}/clusters`, secret);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('forbidden');
  });
});

describe('GET /server-groups/{id}', () => {
  it('answers one group with its instances and place', async () => {
    const token = await adminToken();
    const app = await createApp(token);
    const account = uniq('acct');
    const id = await seed({ app, account, location: 'eu', name: `${app}-web-v007`, createdAt: T, health: ['Up', 'Up'] });
    const res = await get(`/server-groups/${id}`, token);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id,
      name: `${app}-web-v007`,
      application: app,
      account,
      location: 'eu',
      cluster: `${app}-web`,
      stack: 'web',
      detail: '',
      sequence: 7,
      instanceCounts: { up: 2, total: 2 },
    });
    expect(res.json.provider).toBeUndefined();
    expect(res.json.instances.map((i: any) => i.name)).toEqual([`${app}-web-v007-i0`, `${app}-web-v007-i1`]);
  });

  it('answers 404 for an unknown id and 403 to a token restricted to other applications', async () => {
    const admin = await adminToken();
    const app = await createApp(admin);
    const id = await seed({ app, account: uniq('acct'), name: `${app}-v001`, createdAt: T, health: [] });
    const missing = await get('/server-groups/nope', admin);
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toBe('server group "nope" not found');
    const { secret } = await tokenWith(admin, { scopes: ['read'], applications: [await createApp(admin)] });
    expect((await get(`/server-groups/${id}`, secret)).status).toBe(403);
  });
});

describe('OpenAPI', () => {
  it('documents its routes with their response schemas', () => {
    const doc = local.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    expect(Object.keys(doc.paths ?? {}).sort()).toEqual(['/api/v1/applications/{app}/clusters', '/api/v1/applications/{app}/load-balancers', '/api/v1/server-groups/{id}']);
    const ok = doc.paths?.['/api/v1/server-groups/{id}']?.get?.responses?.['200'] as { content: Record<string, { schema: { properties: object } }> };
    expect(Object.keys(ok.content['application/json']!.schema.properties)).toEqual(expect.arrayContaining(['instanceCounts', 'instances', 'application', 'location']));
  });
});
