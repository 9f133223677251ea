import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startDemoTraffic } from './demo-traffic.mjs';

/** A local server playing both the edge's load-balancers API and the load balancer itself. */
async function fakeEdge(balancers: () => { name: string; address: string | null }[]) {
  const seen = { api: [] as string[], hits: 0 };
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/v1/')) {
      seen.api.push(`${req.url} ${req.headers.authorization}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: balancers() }));
      return;
    }
    seen.hits++;
    res.writeHead(seen.hits % 4 === 0 ? 500 : 200).end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const until = async (ok: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describe('demo traffic', () => {
  it('finds the load balancer in inventory and sends requests to it, counting answers', async () => {
    let address: string | null = null;
    const edge = await fakeEdge(() => [{ name: 'other', address: 'http://127.0.0.1:1' }, { name: 'demo-hello', address }]);
    stops.push(edge.close);
    address = edge.url;
    const traffic = startDemoTraffic({ url: edge.url, token: 'gnk_x', ratePerSec: 50, lookupEveryMs: 50 });
    stops.push(traffic.stop);
    await until(() => traffic.stats().sent >= 8);
    await traffic.stop();
    const stats = traffic.stats();
    expect(stats.target).toBe(edge.url);
    expect(stats.sent).toBeGreaterThanOrEqual(8);
    expect(stats.ok + stats.failed).toBe(stats.sent);
    expect(stats.failed).toBeGreaterThan(0);
    expect(edge.seen.hits).toBe(stats.sent);
    expect(edge.seen.api[0]).toBe('/api/v1/applications/demo/load-balancers Bearer gnk_x');
  });

  it('sends nothing while the load balancer has no address, and starts once it appears', async () => {
    let items: { name: string; address: string | null }[] = [];
    const edge = await fakeEdge(() => items);
    stops.push(edge.close);
    const traffic = startDemoTraffic({ url: edge.url, token: 't', ratePerSec: 50, lookupEveryMs: 50 });
    stops.push(traffic.stop);
    await until(() => edge.seen.api.length >= 3);
    expect(traffic.stats()).toMatchObject({ sent: 0, target: null });
    items = [{ name: 'demo-hello', address: edge.url }];
    await until(() => traffic.stats().sent > 0);
    expect(traffic.stats().target).toBe(edge.url);
    await traffic.stop();
    const after = edge.seen.hits;
    await new Promise((r) => setTimeout(r, 100));
    expect(edge.seen.hits).toBe(after);
  });
});
