import { describe, expect, it } from 'vitest';
import { operations } from '../../contract/operations.ts';
import { collectMetrics, type CollectDeps } from './collect.ts';
import type { HttpGet } from './http.ts';
import type { ScrapedInstance } from './samples.ts';

const startMs = 1_700_000_000_000;
const payload = (over: Record<string, unknown> = {}) =>
  operations.collectMetrics.parse({
    account: 'local',
    location: 'local',
    source: { type: 'prometheus' },
    stepSec: 10,
    metrics: [{ name: 'errors', query: { type: 'prometheus', query: 'sum(rate(errors{server_group="${scope}"}[10s]))' } }],
    control: { scope: 'hello-baseline-v001', location: 'local', startMs, endMs: startMs + 20_000 },
    experiment: { scope: 'hello-canary-v001', location: 'local', startMs: startMs + 5_000, endMs: startMs + 25_000 },
    ...over,
  });

/** A Prometheus answering each scope with its own constant; the queried URLs are recorded. */
function prometheus(values: Record<string, string>) {
  const urls: string[] = [];
  const get: HttpGet = async (url) => {
    urls.push(url);
    const params = new URL(url).searchParams;
    const scope = /server_group="([^"]+)"/.exec(params.get('query')!)![1]!;
    const start = Number(params.get('start'));
    const points = [0, 1, 2].map((k) => [start + k * 10, values[scope]!]);
    return { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: points }] } }) };
  };
  return { get, urls };
}

const deps = (over: Partial<CollectDeps>): CollectDeps => ({
  get: async () => ({ status: 500, body: '' }),
  scraped: () => undefined,
  registrationOf: () => undefined,
  log: () => undefined,
  ...over,
});

describe('collectMetrics', () => {
  it('reads control and experiment over their own windows from the agent’s Prometheus', async () => {
    const prom = prometheus({ 'hello-baseline-v001': '0', 'hello-canary-v001': '0.5' });
    const collected = await collectMetrics(payload(), deps({ get: prom.get, prometheusUrl: 'http://prom:9090' }));
    expect(collected).toEqual({
      errors: {
        control: { startMs, stepSec: 10, values: [0, 0, 0] },
        experiment: { startMs: startMs + 5_000, stepSec: 10, values: [0.5, 0.5, 0.5] },
      },
    });
    expect(prom.urls.every((u) => u.startsWith('http://prom:9090/api/v1/query_range?'))).toBe(true);
  });

  it('prefers the URL the task names over the agent’s default', async () => {
    const prom = prometheus({ 'hello-baseline-v001': '1', 'hello-canary-v001': '1' });
    await collectMetrics(payload({ source: { type: 'prometheus', url: 'http://other:9090/prom' } }), deps({ get: prom.get, prometheusUrl: 'http://prom:9090' }));
    expect(prom.urls.every((u) => u.startsWith('http://other:9090/prom/api/v1/query_range?'))).toBe(true);
  });

  it('fails clearly without any Prometheus URL, or with a query of the other source', async () => {
    await expect(collectMetrics(payload(), deps({}))).rejects.toThrow(/names no URL and this agent has no --prometheus-url/);
    const mixed = payload({ source: { type: 'builtin' } });
    await expect(collectMetrics(mixed, deps({}))).rejects.toThrow('metric "errors" has a prometheus query, but this canary reads its metrics from builtin');
  });

  it('builtin: reads the scope’s scrapes from before the window (counters need a baseline), and refuses a group it does not scrape', async () => {
    const query = { type: 'builtin', metric: 'requests_total', aggregation: 'rate' } as const;
    const reads: [string, number, number, string[]][] = [];
    const instance = (perSec: number): ScrapedInstance => ({
      timesMs: [-10, 0, 10, 20].map((s) => startMs + s * 1000),
      series: [{ name: 'requests_total', labels: {}, values: [0, 1, 2, 3].map((k) => k * perSec * 10) }],
    });
    const builtin = payload({ source: { type: 'builtin' }, metrics: [{ name: 'rps', query }], experiment: { scope: 'hello-canary-v001', location: 'local', startMs, endMs: startMs + 20_000 } });
    const collected = await collectMetrics(builtin, deps({
      registrationOf: (t) => ({ ...t, path: '/metrics', stepSec: 10 }),
      scraped: (t, from, to, names) => (reads.push([t.serverGroupName, from, to, [...names]]), [instance(t.serverGroupName.includes('canary') ? 4 : 2)]),
    }));
    expect(collected.rps).toEqual({ control: { startMs, stepSec: 10, values: [2, 2, 2] }, experiment: { startMs, stepSec: 10, values: [4, 4, 4] } });
    expect(reads).toContainEqual(['hello-baseline-v001', startMs - 20_000, startMs + 20_000, ['requests_total']]);

    await expect(collectMetrics(builtin, deps({}))).rejects.toThrow(
      'metric "rps": this agent does not scrape server group hello-baseline-v001 in local/local (it must be deployed with metrics: {stepSec})',
    );
  });

  it('names the metric and scope when a window is impossible', async () => {
    const query = { type: 'builtin', metric: 'requests_total', aggregation: 'rate' } as const;
    const backwards = payload({ source: { type: 'builtin' }, metrics: [{ name: 'rps', query }], control: { scope: 'b', location: 'local', startMs: 10, endMs: 5 } });
    await expect(collectMetrics(backwards, deps({ registrationOf: (t) => ({ ...t, path: '/metrics', stepSec: 10 }), scraped: () => [] }))).rejects.toThrow(
      /metric "rps" \(control b\): the window ends \(5\) before it starts \(10\)/,
    );
  });
});
