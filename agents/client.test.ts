import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentApiError, AgentClient } from './client.ts';

type Seen = { method: string; url: string; auth: string | undefined; contentType: string | undefined; body: unknown };

/** A stand-in edge on a free port that answers each request with `reply` and records what it saw. */
async function edge(reply: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, contentType: req.headers['content-type'], body: text ? JSON.parse(text) : undefined });
    reply(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const json = (status: number, body: unknown) => (_: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
};
const registration = { installToken: 'gni_x', name: 'edge-1', version: '1.0.0', accounts: [{ name: 'local', provider: 'local' as const, locations: ['local'] }] };

async function failure(promise: Promise<unknown>): Promise<AgentApiError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AgentApiError);
  return err as AgentApiError;
}

describe('AgentClient', () => {
  it('registers: POST /api/agent/v1/register with the JSON body, answer validated', async () => {
    const { url, seen } = await edge(json(201, { agentId: 'a1', credential: 'gna_c', heartbeatIntervalSec: 15 }));
    expect(await new AgentClient(url).register(registration)).toEqual({ agentId: 'a1', credential: 'gna_c', heartbeatIntervalSec: 15 });
    expect(seen).toEqual([{ method: 'POST', url: '/api/agent/v1/register', auth: undefined, contentType: 'application/json', body: registration }]);
  });

  it('heartbeats with the credential as a bearer token', async () => {
    const { url, seen } = await edge(json(200, { ok: true, serverTime: '2026-01-01T00:00:00.000Z', heartbeatIntervalSec: 20 }));
    expect((await new AgentClient(`${url}/prefix`).heartbeat('gna_c', '1.0.0')).heartbeatIntervalSec).toBe(20);
    expect(seen[0]).toMatchObject({ url: '/prefix/api/agent/v1/heartbeat', auth: 'Bearer gna_c', body: { version: '1.0.0' } });
  });

  it("a 4xx carries the edge's message and is not retryable", async () => {
    const { url } = await edge(json(401, { error: { code: 'unauthorized', message: 'install token was already used; create a new one', requestId: 'r1' } }));
    const err = await failure(new AgentClient(url).register(registration));
    expect(err).toMatchObject({ kind: 'refused', status: 401, code: 'unauthorized', message: 'install token was already used; create a new one', retryable: false });
  });

  it.each([500, 502, 503, 429])('HTTP %i is retryable', async (status) => {
    const { url } = await edge((_, res) => res.writeHead(status).end('busy'));
    const err = await failure(new AgentClient(url).heartbeat('gna_c', '1'));
    expect(err).toMatchObject({ kind: 'server', status, retryable: true });
  });

  it('a 200 that is not the protocol (a web page, say) is a protocol error, not retried', async () => {
    const { url } = await edge((_, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>welcome</html>'));
    const err = await failure(new AgentClient(url).register(registration));
    expect(err).toMatchObject({ kind: 'protocol', retryable: false });
    expect(err.message).toBe('unexpected answer to POST /register (HTTP 200); is this a Gennaker server?');
  });

  it('a 404 from something else names the status', async () => {
    const { url } = await edge((_, res) => res.writeHead(404).end('nope'));
    expect(await failure(new AgentClient(url).register(registration))).toMatchObject({ kind: 'protocol', status: 404, message: 'HTTP 404 Not Found' });
  });

  it('no server listening is a retryable network failure naming the cause', async () => {
    const { url } = await edge(json(200, {}));
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const err = await failure(new AgentClient(url).heartbeat('gna_c', '1'));
    expect(err).toMatchObject({ kind: 'network', retryable: true, message: 'no answer to POST /heartbeat: ECONNREFUSED' });
  });

  describe('task protocol', () => {
    const leased = { id: 't1', operation: 'destroyServerGroup', account: 'local', payload: { account: 'local' }, attempt: 1, leaseExpiresAt: 5, idempotencyKey: 'k1' };

    it('polls with the credential, the wait and how many tasks it can take, and validates the tasks', async () => {
      const { url, seen } = await edge(json(200, { tasks: [leased] }));
      expect(await new AgentClient(url).pollTasks('gna_c', { waitMs: 100, maxTasks: 3 })).toEqual([leased]);
      expect(seen[0]).toMatchObject({ url: '/api/agent/v1/tasks/poll', auth: 'Bearer gna_c', body: { waitMs: 100, maxTasks: 3 } });
    });

    it('a poll answer with an unknown operation is a protocol error', async () => {
      const { url } = await edge(json(200, { tasks: [{ ...leased, operation: 'explode' }] }));
      expect(await failure(new AgentClient(url).pollTasks('gna_c', { waitMs: 0 }))).toMatchObject({ kind: 'protocol' });
    });

    it('abandons a poll when the agent stops', async () => {
      const { url } = await edge(() => undefined);
      const stop = new AbortController();
      const pending = new AgentClient(url).pollTasks('gna_c', { waitMs: 25_000 }, stop.signal);
      setTimeout(() => stop.abort(), 20);
      expect(await failure(pending)).toMatchObject({ kind: 'network', message: 'no answer to POST /tasks/poll: aborted' });
      server!.closeAllConnections();
    });

    it('heartbeats and completes a task by id, and reports inventory', async () => {
      const { url, seen } = await edge((req, res) => {
        const body = req.url!.endsWith('/heartbeat') ? { leaseExpiresAt: 42 } : req.url!.endsWith('/complete') ? { status: 'FAILED' } : { account: 'local', serverGroups: 0, instances: 0 };
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      });
      const client = new AgentClient(url);
      expect(await client.heartbeatTask('gna_c', 't/1', ['a'])).toEqual({ leaseExpiresAt: 42 });
      expect(await client.completeTask('gna_c', 't1', { idempotencyKey: 'k1', ok: false, error: 'boom' })).toEqual({ status: 'FAILED' });
      expect(await client.reportInventory('gna_c', { account: 'local', serverGroups: [], loadBalancers: [] })).toEqual({ account: 'local', serverGroups: 0, instances: 0 });
      expect(seen.map((s) => [s.url, s.auth, s.body])).toEqual([
        ['/api/agent/v1/tasks/t%2F1/heartbeat', 'Bearer gna_c', { logs: ['a'] }],
        ['/api/agent/v1/tasks/t1/complete', 'Bearer gna_c', { idempotencyKey: 'k1', ok: false, error: 'boom' }],
        ['/api/agent/v1/inventory', 'Bearer gna_c', { account: 'local', serverGroups: [], loadBalancers: [] }],
      ]);
    });

    it("a 409 on completion carries the edge's message and is not retryable", async () => {
      const { url } = await edge(json(409, { error: { code: 'conflict', message: 'task t1 is already complete (SUCCEEDED); nothing was recorded', requestId: 'r' } }));
      const err = await failure(new AgentClient(url).completeTask('gna_c', 't1', { idempotencyKey: 'k1', ok: true }));
      expect(err).toMatchObject({ kind: 'refused', status: 409, code: 'conflict', retryable: false });
    });
  });
});
