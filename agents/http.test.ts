import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest, HttpRequestError } from './http.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server on a free port answering with `reply`; resolves to its URL. */
async function serve(reply: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    reply(req, res, body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(promise: Promise<unknown>): Promise<HttpRequestError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpRequestError);
  return err as HttpRequestError;
}

describe('httpRequest', () => {
  it('sends a JSON body with its content type and reads status and text', async () => {
    const url = await serve((req, res, body) => res.writeHead(201, 'Made').end(JSON.stringify({ method: req.method, type: req.headers['content-type'], auth: req.headers.authorization, body: JSON.parse(body) })));
    const answer = await httpRequest({ method: 'POST', url: `${url}/x`, json: { a: [1, 'é'] }, headers: { Authorization: 'Bearer t' }, timeoutMs: 5_000 });
    expect(answer).toMatchObject({ status: 201, statusText: 'Made', ok: true });
    expect(JSON.parse(answer.text)).toEqual({ method: 'POST', type: 'application/json', auth: 'Bearer t', body: { a: [1, 'é'] } });
  });

  it('a non-2xx answer is an answer, not an error', async () => {
    const url = await serve((_, res) => res.writeHead(503).end('busy'));
    expect(await httpRequest({ method: 'GET', url, timeoutMs: 5_000 })).toMatchObject({ status: 503, ok: false, text: 'busy' });
  });

  it('gives up after timeoutMs, saying so', async () => {
    const url = await serve(() => undefined);
    const started = Date.now();
    const err = await failure(httpRequest({ method: 'GET', url, timeoutMs: 200 }));
    expect(err.reason).toBe('timed out');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('counts the time to read the body too', async () => {
    const url = await serve((_, res) => res.writeHead(200).write('partial'));
    expect((await failure(httpRequest({ method: 'GET', url, timeoutMs: 200 }))).reason).toBe('timed out');
  });

  it('stops when its signal aborts, and at once when it was aborted before', async () => {
    const url = await serve(() => undefined);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 20);
    expect((await failure(httpRequest({ method: 'GET', url, timeoutMs: 5_000, signal: stop.signal }))).reason).toBe('aborted');
    expect((await failure(httpRequest({ method: 'GET', url, timeoutMs: 5_000, signal: AbortSignal.abort() }))).reason).toBe('aborted');
  });

  it('names a refused connection by its code', async () => {
    const url = await serve(() => undefined);
    server!.close();
    server = undefined;
    expect((await failure(httpRequest({ method: 'GET', url, timeoutMs: 5_000 }))).reason).toBe('ECONNREFUSED');
  });

  it('refuses an answer larger than maxBodyBytes', async () => {
    const url = await serve((_, res) => res.writeHead(200).end('x'.repeat(10_000)));
    expect((await failure(httpRequest({ method: 'GET', url, timeoutMs: 5_000, maxBodyBytes: 1_000 }))).reason).toBe('answer too large');
  });

  it('sends again on a new connection when a kept-alive one turns out closed', async () => {
    const served = new Map<Socket, number>();
    const url = await serve((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      // The second request on a connection finds it reset, as after a server's idle timeout.
      if (n > 1) req.socket.destroy();
      else res.writeHead(200).end(`hello ${served.size}`);
    });
    expect((await httpRequest({ method: 'GET', url, timeoutMs: 5_000 })).text).toBe('hello 1');
    expect((await httpRequest({ method: 'GET', url, timeoutMs: 5_000 })).text).toBe('hello 2');
  });

  it('when every kept-alive connection turns out dead (a server restart), still gets through on a new one', async () => {
    const served = new Map<Socket, number>();
    const waiting: (() => void)[] = [];
    const url = await serve((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      // Every reused connection is reset, as after a restart of the server.
      if (n > 1) return req.socket.destroy();
      if (served.size > 3) return res.writeHead(200).end('new connection');
      // Hold the first three answers until all three arrived, so the pool keeps three connections.
      waiting.push(() => res.writeHead(200).end('first'));
      if (waiting.length === 3) for (const answer of waiting) answer();
    });
    const first = await Promise.all([1, 2, 3].map(() => httpRequest({ method: 'GET', url, timeoutMs: 5_000 })));
    expect(first.map((a) => a.text)).toEqual(['first', 'first', 'first']);
    expect((await httpRequest({ method: 'GET', url, timeoutMs: 5_000 })).text).toBe('new connection');
  });

  it('with keepAlive false, leaves no connection open', async () => {
    const url = await serve((_, res) => res.writeHead(200).end('ok'));
    await httpRequest({ method: 'GET', url, timeoutMs: 5_000, keepAlive: false });
    const open = () => new Promise<number>((resolve, reject) => server!.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    // The server closes its end once the answer is out; give that a moment (kept alive, it would stay at 1).
    for (let i = 0; i < 20 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await open()).toBe(0);
  });
});
