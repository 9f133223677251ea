import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { adminToken, api, BASE } from './test/client.ts';

describe('the API as a whole', () => {
  it('answers GET /api/v1/health without credentials', async () => {
    const res = await api('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, version: pkg.version });
  });

  it('publishes an OpenAPI 3.1 document listing every path', async () => {
    const res = await api('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe('3.1.0');
    expect(res.json.info.version).toBe(pkg.version);
    const paths = res.json.paths as Record<string, Record<string, unknown>>;
    const expected: [string, string[]][] = [
      ['/health', ['get']],
      ['/auth/login', ['post']],
      ['/auth/session', ['get']],
      ['/auth/logout', ['post']],
      ['/bootstrap', ['post']],
      ['/applications', ['get', 'post']],
      ['/applications/{app}', ['get', 'patch', 'delete']],
      ['/applications/{app}/pipelines', ['get', 'post']],
      ['/pipelines/{id}', ['get', 'put', 'delete']],
      ['/pipelines/{id}/versions', ['get']],
      ['/pipelines/{id}/versions/{version}', ['get']],
      ['/pipelines/{id}/versions/{version}/restore', ['post']],
      ['/stage-types', ['get']],
      ['/tokens', ['get', 'post']],
      ['/tokens/{id}', ['delete']],
      ['/users', ['get', 'post']],
      ['/audit', ['get']],
      ['/agents', ['get']],
      ['/agents/install-tokens', ['post']],
    ];
    for (const [path, methods] of expected) {
      expect(Object.keys(paths[path] ?? {}).sort(), path).toEqual(methods.sort());
    }
    expect(res.json.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('publishes the agent protocol separately', async () => {
    const res = await SELF.fetch(`${BASE}/api/agent/v1/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).sort()).toEqual(['/heartbeat', '/inventory', '/register', '/tasks/poll', '/tasks/{id}/complete', '/tasks/{id}/heartbeat']);
  });

  it('answers an unknown /api route with 404 in the error shape, with a request id', async () => {
    for (const url of ['/api/v1/nope', '/api/nope', '/api/agent/v1/nope']) {
      const res = await SELF.fetch(`${BASE}${url}`);
      expect(res.status, url).toBe(404);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(body.error).toMatchObject({ code: 'not_found', message: `no route GET ${url}` });
      expect(body.error.requestId).toBe(res.headers.get('X-Request-Id'));
      expect(body.error.requestId).not.toBe('unknown');
    }
  });

  it('answers a known path with the wrong method with 405, Allow, and the error shape', async () => {
    const token = await adminToken();
    const res = await api('PUT', '/applications', { token, body: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe('GET, HEAD, POST');
    expect(res.json.error).toMatchObject({ code: 'method_not_allowed', message: 'PUT is not allowed on /api/v1/applications; use GET, HEAD, POST' });
    const del = await api('POST', '/pipelines/abc');
    expect(del.status).toBe(405);
    expect(del.headers.get('Allow')).toBe('DELETE, GET, HEAD, PUT');
  });

  it('echoes a caller-supplied X-Request-Id into errors', async () => {
    const res = await api('GET', '/applications', { headers: { 'X-Request-Id': 'trace-42' } });
    expect(res.status).toBe(401);
    expect(res.json.error.requestId).toBe('trace-42');
    expect(res.headers.get('X-Request-Id')).toBe('trace-42');
  });

  it('describes every stage type with the JSON Schema of its fields', async () => {
    const token = await adminToken();
    const res = await api('GET', '/stage-types', { token });
    expect(res.status).toBe(200);
    const wait = res.json.items.find((s: { type: string }) => s.type === 'wait');
    expect(wait).toMatchObject({ label: 'Wait', runsOn: 'edge' });
    expect(wait.schema.required).toEqual(expect.arrayContaining(['refId', 'type', 'name', 'waitTime']));
    expect((await api('GET', '/stage-types')).status).toBe(401);
  });
});
