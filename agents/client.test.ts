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
});
