import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminToken, agentApi, api, BASE, createApp, PASSWORD, rowCount, uniq } from './test/client.ts';

/**
 * Every endpoint that takes a body, fed the same kinds of bad input. Each must answer with the
 * error shape, name the field where there is one, and leave every table as it was.
 */
interface Ctx {
  admin: string;
  app: string;
  pipelineId: string;
  agentCredential: string;
}

interface Family {
  name: string;
  method: string;
  /** `agent` calls `/api/agent/v1`; otherwise `/api/v1`. */
  api?: 'agent';
  path: (ctx: Ctx) => string;
  /** Credentials the endpoint needs, as headers. */
  auth: (ctx: Ctx) => Record<string, string>;
  /** A body of the right shape but one field of the wrong type, and that field. */
  wrongType: [Record<string, unknown>, string];
  /** A valid body, to which the unknown field is added. */
  valid: Record<string, unknown>;
  /** Whether a caller without credentials is refused (401) before the body is looked at. Bootstrap's secret is tested in its own file. */
  protected: boolean;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

const families: Family[] = [
  { name: 'create application', method: 'POST', path: () => '/applications', auth: (c) => bearer(c.admin), wrongType: [{ name: 42 }, 'name'], valid: { name: 'okname' }, protected: true },
  { name: 'update application', method: 'PATCH', path: (c) => `/applications/${c.app}`, auth: (c) => bearer(c.admin), wrongType: [{ trafficGuards: { account: 'x' } }, 'trafficGuards'], valid: { description: 'd' }, protected: true },
  { name: 'create pipeline', method: 'POST', path: (c) => `/applications/${c.app}/pipelines`, auth: (c) => bearer(c.admin), wrongType: [{ name: 'p', stages: 'none' }, 'stages'], valid: { name: 'fresh' }, protected: true },
  { name: 'update pipeline', method: 'PUT', path: (c) => `/pipelines/${c.pipelineId}`, auth: (c) => bearer(c.admin), wrongType: [{ name: 'p', disabled: 'yes' }, 'disabled'], valid: { name: 'p' }, protected: true },
  { name: 'create token', method: 'POST', path: () => '/tokens', auth: (c) => bearer(c.admin), wrongType: [{ name: 't', scopes: 'read' }, 'scopes'], valid: { name: 't', scopes: ['read'] }, protected: true },
  { name: 'create user', method: 'POST', path: () => '/users', auth: (c) => bearer(c.admin), wrongType: [{ email: 'u@gennaker.test', name: 'U', password: 12345678901234 }, 'password'], valid: { email: 'new@gennaker.test', name: 'U', password: PASSWORD }, protected: true },
  { name: 'create install token', method: 'POST', path: () => '/agents/install-tokens', auth: (c) => bearer(c.admin), wrongType: [{ expiresInMinutes: 'soon' }, 'expiresInMinutes'], valid: {}, protected: true },
  { name: 'sign in', method: 'POST', path: () => '/auth/login', auth: () => ({}), wrongType: [{ email: ['a@b.c'], password: PASSWORD }, 'email'], valid: { email: 'admin@gennaker.test', password: PASSWORD }, protected: false },
  { name: 'bootstrap', method: 'POST', path: () => '/bootstrap', auth: () => ({ 'x-bootstrap-secret': env.GENNAKER_BOOTSTRAP_SECRET! }), wrongType: [{ email: 'x@gennaker.test', password: PASSWORD, name: false }, 'name'], valid: { email: 'x@gennaker.test', password: PASSWORD }, protected: false },
  { name: 'agent register', method: 'POST', api: 'agent', path: () => '/register', auth: () => ({}), wrongType: [{ installToken: 'gni_x', name: 'a', version: '1', accounts: {} }, 'accounts'], valid: { installToken: 'gni_x', name: 'a', version: '1', accounts: [] }, protected: false },
  { name: 'agent heartbeat', method: 'POST', api: 'agent', path: () => '/heartbeat', auth: (c) => bearer(c.agentCredential), wrongType: [{ version: 2 }, 'version'], valid: { version: '1' }, protected: true },
];

const tables = ['applications', 'pipelines', 'pipeline_versions', 'api_tokens', 'users', 'sessions', 'audit_events', 'agents', 'accounts', 'agent_install_tokens'];
const snapshot = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await rowCount(t)] as const)));

let ctx: Ctx;
beforeAll(async () => {
  const admin = await adminToken();
  const app = await createApp(admin, uniq());
  const pipeline = await api('POST', `/applications/${app}/pipelines`, { token: admin, body: { name: 'p' } });
  const install = await api('POST', '/agents/install-tokens', { token: admin, body: {} });
  const agent = await agentApi('POST', '/register', { body: { installToken: install.json.token, name: 'bad-input-agent', version: '1', accounts: [] } });
  ctx = { admin, app, pipelineId: pipeline.json.id, agentCredential: agent.json.credential };
});

/** Sends `body` (a string, as is) to a family's endpoint with its credentials and extra headers. */
async function send(f: Family, body: string | ReadableStream, headers: Record<string, string> = {}, withAuth = true) {
  const prefix = f.api === 'agent' ? '/api/agent/v1' : '/api/v1';
  const res = await SELF.fetch(`${BASE}${prefix}${f.path(ctx)}`, {
    method: f.method,
    headers: { 'Content-Type': 'application/json', ...(withAuth ? f.auth(ctx) : {}), ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as { error: { code: string; message: string; field?: string; requestId: string } } };
}

const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });

describe.each(families)('$method $name', (f) => {
  it('refuses a field of the wrong type, naming it', async () => {
    const before = await snapshot();
    const [body, field] = f.wrongType;
    const res = await send(f, JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'validation_failed', field });
    expect(res.json.error.message.startsWith(`${field}: `)).toBe(true);
    expect(res.json.error.requestId).toBeTruthy();
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an unknown field, naming it', async () => {
    const before = await snapshot();
    const res = await send(f, JSON.stringify({ ...f.valid, zzz: 1 }));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'validation_failed', field: 'zzz', message: 'unknown field "zzz"' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a body that is not JSON with invalid_json', async () => {
    const before = await snapshot();
    const res = await send(f, '{"name": ');
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'invalid_json', message: 'request body is not valid JSON' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const before = await snapshot();
    const res = await send(f, big);
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('payload_too_large');
    expect(await snapshot()).toEqual(before);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('refuses Content-Type %s with 415', async (type) => {
    const before = await snapshot();
    for (const body of [JSON.stringify(f.valid), '']) {
      const res = await send(f, body, { 'Content-Type': type });
      expect(res.status, `body ${JSON.stringify(body)}`).toBe(415);
      expect(res.json.error).toMatchObject({ code: 'unsupported_media_type', field: 'Content-Type' });
    }
    expect(await snapshot()).toEqual(before);
  });

  // Public endpoints (sign in, bootstrap, agent register) have no caller to refuse first.
  if (f.protected) {
    it('answers 401, not 400, to a caller without credentials sending a bad body', async () => {
      for (const body of ['{"name": ', JSON.stringify({ zzz: 1 })]) {
        const res = await send(f, body, {}, false);
        expect(res.status).toBe(401);
        expect(res.json.error.code).toBe('unauthorized');
      }
    });
  }
});

describe('bodies without a Content-Length', () => {
  it('counts a streamed body and refuses it past 1 MiB', async () => {
    const before = await snapshot();
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await send(families[0]!, stream);
    expect(res.status).toBe(413);
    expect(await snapshot()).toEqual(before);
  });
});

describe('reads', () => {
  it('are not refused for a Content-Type, and write no rows', async () => {
    const before = await snapshot();
    const res = await api('GET', '/applications', { token: ctx.admin, headers: { 'Content-Type': 'text/plain' } });
    expect(res.status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });
});
