// The load balancer alone, against in-process backends: no backend, a dead backend, in-flight
// counting, upgrades.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoadBalancers, type Backend } from './load-balancer.ts';
import { allocatePort } from './ports.ts';

let backends: Backend[];
let lbs: LoadBalancers;
let servers: http.Server[];
let release: () => void;

/** A backend answering its name; `/slow` waits for release(); WebSocket upgrades echo what they get. */
async function backend(name: string): Promise<Backend> {
  const server = http.createServer((req, res) => {
    const answer = () => res.end(`${name} ${req.method} ${req.url}`);
    if (req.url === '/slow') {
      const previous = release;
      release = () => (previous(), answer());
    } else answer();
  });
  server.on('upgrade', (_req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { instance: name, port: (server.address() as AddressInfo).port };
}

beforeEach(async () => {
  backends = [];
  servers = [];
  release = () => undefined;
  lbs = new LoadBalancers({ host: '127.0.0.1', log: () => undefined, backends: (key) => (key === 'lb' ? backends : []) });
});
afterEach(async () => {
  release();
  await lbs.closeAll(100);
  for (const server of servers) server.closeAllConnections(), server.close();
});

describe('LoadBalancers', () => {
  it('answers 503 without backends, then round-robins over whatever the set is per request', async () => {
    const port = await lbs.open('lb', 'hello', 0);
    expect(await lbs.open('lb', 'hello', 0)).toBe(port);
    const url = `http://127.0.0.1:${port}`;
    const none = await fetch(url);
    expect(none.status).toBe(503);
    expect(await none.text()).toMatch(/load balancer hello: no enabled server group/);

    backends.push(await backend('a'), await backend('b'));
    const texts = [];
    for (let n = 0; n < 4; n++) texts.push(await (await fetch(`${url}/x?y=1`)).text());
    expect(texts.sort()).toEqual(['a GET /x?y=1', 'a GET /x?y=1', 'b GET /x?y=1', 'b GET /x?y=1']);
    backends.splice(0, 1);
    expect(await (await fetch(url)).text()).toBe('b GET /');
  });

  it('sends an idempotent request to another backend when the picked one refuses, but not a POST', async () => {
    const url = `http://127.0.0.1:${await lbs.open('lb', 'hello', 0)}`;
    const dead = { instance: 'dead', port: await allocatePort('127.0.0.1', new Set()) };
    backends.push(dead, await backend('live'));
    for (let n = 0; n < 4; n++) expect(await (await fetch(url)).text()).toBe('live GET /');
    backends.splice(1, 1);
    const post = await fetch(url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(502);
    expect(await post.text()).toMatch(/dead failed: .*ECONNREFUSED/);
    const get = await fetch(url);
    expect(get.status).toBe(503);
    expect(await get.text()).toMatch(/was unreachable and no other is in rotation/);
  });

  it('counts requests in flight per backend and waits for them to drain', async () => {
    const url = `http://127.0.0.1:${await lbs.open('lb', 'hello', 0)}`;
    const b = await backend('a');
    backends.push(b);
    const slow = fetch(`${url}/slow`).then((r) => r.text());
    await expect.poll(() => lbs.inFlight(b.port)).toBe(1);
    expect(await lbs.waitForDrain([b.port], 50)).toBe(1);
    const draining = lbs.waitForDrain([b.port], 5_000);
    release();
    expect(await draining).toBe(0);
    expect(await slow).toBe('a GET /slow');
    expect(lbs.inFlight(b.port)).toBe(0);
  });

  it('openWhenFree waits for a port another program holds, and gives up after its tries', async () => {
    const port = await allocatePort('127.0.0.1', new Set());
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    expect(await lbs.openWhenFree('lb', 'hello', port, 3, 10)).toBe(false);
    expect(lbs.isOpen('lb')).toBe(false);
    setTimeout(() => holder.close(), 50);
    expect(await lbs.openWhenFree('lb', 'hello', port, 50, 10)).toBe(true);
    expect(lbs.isOpen('lb')).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}`)).status).toBe(503);
  });

  it('passes WebSocket upgrades through and counts them until they close', async () => {
    const port = await lbs.open('lb', 'hello', 0);
    const b = await backend('a');
    backends.push(b);
    const socket = net.connect(port, '127.0.0.1');
    socket.write('GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    await expect.poll(() => received).toMatch(/^HTTP\/1.1 101/);
    socket.write('ping');
    await expect.poll(() => received).toMatch(/ping$/);
    expect(lbs.inFlight(b.port)).toBe(1);
    socket.destroy();
    await expect.poll(() => lbs.inFlight(b.port)).toBe(0);
  });
});
