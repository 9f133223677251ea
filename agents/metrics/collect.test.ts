import { describe, expect, it } from 'vitest';
import { operations } from '../../contract/operations.ts';
import { collectMetrics, type CollectDeps } from './collect.ts';
import type { HttpGet } from './http.ts';
import type { ScrapedInstance } from './samples.ts';
import type { ScrapeTarget } from './scraper.ts';

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

/** Each query_range URL's base and the window it asked for, in the order they were sent. */
const asked = (urls: readonly string[]) =>
  urls.map((u) => {
    const url = new URL(u);
    return `${url.origin}${url.pathname} ${url.searchParams.get('start')}..${url.searchParams.get('end')} step ${url.searchParams.get('step')}`;
  }).sort();

describe('collectMetrics', () => {
  it('reads control and experiment over their own windows from the agent’s Prometheus, with their coverage', async () => {
    const prom = prometheus({ 'hello-baseline-v001': '0', 'hello-canary-v001': '0.5' });
    const collected = await collectMetrics(payload(), deps({ get: prom.get, prometheusUrl: 'http://prom:9090' }));
    expect(collected.metrics).toEqual({
      errors: {
        control: { startMs, stepSec: 10, values: [0, 0, 0] },
        experiment: { startMs: startMs + 5_000, stepSec: 10, values: [0.5, 0.5, 0.5] },
      },
    });
    const s = startMs / 1000;
    expect(asked(prom.urls)).toEqual([`http://prom:9090/api/v1/query_range ${s}..${s + 20} step 10`, `http://prom:9090/api/v1/query_range ${s + 5}..${s + 25} step 10`]);
    expect(collected.coverage).toEqual({
      control: { scope: 'hello-baseline-v001', startMs, endMs: startMs + 20_000, stepSec: 10, steps: 3, stepsWithData: 3, firstSampleMs: startMs },
      experiment: { scope: 'hello-canary-v001', startMs: startMs + 5_000, endMs: startMs + 25_000, stepSec: 10, steps: 3, stepsWithData: 3, firstSampleMs: startMs + 5_000 },
    });
  });

  it('queries a URL the task names only when it is the agent’s own or one its operator allowed', async () => {
    const prom = prometheus({ 'hello-baseline-v001': '1', 'hello-canary-v001': '1' });
    const named = (url: string) => payload({ source: { type: 'prometheus', url } });
    await collectMetrics(named('http://other:9090/prom/'), deps({ get: prom.get, prometheusUrl: 'http://prom:9090', prometheusAllow: ['http://other:9090/prom'] }));
    await collectMetrics(named('http://prom:9090'), deps({ get: prom.get, prometheusUrl: 'http://prom:9090' }));
    const s = startMs / 1000;
    expect(asked(prom.urls)).toEqual([
      `http://other:9090/prom/api/v1/query_range ${s}..${s + 20} step 10`,
      `http://other:9090/prom/api/v1/query_range ${s + 5}..${s + 25} step 10`,
      `http://prom:9090/api/v1/query_range ${s}..${s + 20} step 10`,
      `http://prom:9090/api/v1/query_range ${s + 5}..${s + 25} step 10`,
    ]);

    prom.urls.length = 0;
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://prom:9090/other', 'http://admin:s3cret@prom:9090', 'http://prom:9090?x=1']) {
      const refused = collectMetrics(named(url), deps({ get: prom.get, prometheusUrl: 'http://prom:9090', prometheusAllow: ['http://other:9090/prom'] }));
      await expect(refused).rejects.toThrow(/^this agent does not query Prometheus at .*: it queries only its --prometheus-url and the URLs its operator lists with --prometheus-allow$/);
      await expect(refused).rejects.not.toThrow(/s3cret|admin/);
    }
    expect(prom.urls).toEqual([]);
  });

  it('fails clearly without any Prometheus URL, or with a query of the other source', async () => {
    await expect(collectMetrics(payload(), deps({}))).rejects.toThrow(/names no URL and this agent has no --prometheus-url/);
    const mixed = payload({ source: { type: 'builtin' } });
    await expect(collectMetrics(mixed, deps({}))).rejects.toThrow('metric "errors" has a prometheus query, but this canary reads its metrics from builtin');
  });

  describe('builtin', () => {
    const query = { type: 'builtin', metric: 'requests_total', aggregation: 'rate' } as const;
    const window = { location: 'local', startMs, endMs: startMs + 20_000 };
    const builtin = payload({ source: { type: 'builtin' }, metrics: [{ name: 'rps', query }], control: { scope: 'hello-baseline-v001', ...window }, experiment: { scope: 'hello-canary-v001', ...window } });
    /** An instance scraped every 10 s at the given offsets (s) from the window's start, counting `perSec`. */
    const instance = (perSec: number, offsets = [-10, 0, 10, 20]): ScrapedInstance => ({
      timesMs: offsets.map((s) => startMs + s * 1000),
      series: [{ name: 'requests_total', labels: {}, values: offsets.map((s) => (s + 10) * perSec) }],
    });
    const scraping = (registeredAtMs?: number) => (t: ScrapeTarget) => ({ ...t, path: '/metrics', stepSec: 10, ...(registeredAtMs === undefined ? {} : { registeredAtMs }) });

    it('reads each scope’s scrapes from before the window (counters need a baseline), and reports the coverage', async () => {
      const reads: [string, number, number, string[]][] = [];
      const collected = await collectMetrics(builtin, deps({
        registrationOf: scraping(startMs - 60_000),
        scraped: (t, from, to, names) => (reads.push([t.serverGroupName, from, to, [...names]]), [instance(t.serverGroupName.includes('canary') ? 4 : 2)]),
      }));
      expect(collected.metrics.rps).toEqual({ control: { startMs, stepSec: 10, values: [2, 2, 2] }, experiment: { startMs, stepSec: 10, values: [4, 4, 4] } });
      expect(reads.filter(([, , , names]) => names.length)).toEqual([
        ['hello-baseline-v001', startMs - 20_000, startMs + 20_000, ['requests_total']],
        ['hello-canary-v001', startMs - 20_000, startMs + 20_000, ['requests_total']],
      ]);
      expect(collected.coverage.control).toEqual({ scope: 'hello-baseline-v001', startMs, endMs: startMs + 20_000, stepSec: 10, steps: 3, stepsWithData: 3, firstSampleMs: startMs - 10_000 });
    });

    it('refuses a group it does not scrape', async () => {
      await expect(collectMetrics(builtin, deps({}))).rejects.toThrow(
        'control hello-baseline-v001: this agent does not scrape server group hello-baseline-v001 in local/local (it must be deployed with metrics: {stepSec})',
      );
    });

    it('fails a window reaching back before the samples it holds (a restart), naming when they start', async () => {
      // Registered long before the window, but the oldest scrape held is 30 s into it: more than two 10 s steps.
      const long = { ...window, endMs: startMs + 60_000 };
      const longer = payload({ source: { type: 'builtin' }, metrics: [{ name: 'rps', query }], control: { scope: 'hello-baseline-v001', ...long }, experiment: { scope: 'hello-canary-v001', ...long } });
      const restarted = collectMetrics(longer, deps({ registrationOf: scraping(startMs - 600_000), scraped: () => [instance(2, [30, 40, 50, 60])] }));
      await expect(restarted).rejects.toThrow(
        `control hello-baseline-v001: the window starts at ${new Date(startMs).toISOString()}, but the agent has samples of it only since ${new Date(startMs + 30_000).toISOString()}: ` +
          'it restarted, or the window is longer than its 2 h retention (or its sample cap); use lookbackMins ≤ 120',
      );
      const within = await collectMetrics(longer, deps({ registrationOf: scraping(startMs - 600_000), scraped: () => [instance(2, [20, 30, 40, 50, 60])] }));
      expect(within.coverage.control).toMatchObject({ steps: 7, stepsWithData: 5, firstSampleMs: startMs + 20_000 });
      const none = collectMetrics(builtin, deps({ registrationOf: scraping(startMs - 600_000), scraped: () => [] }));
      await expect(none).rejects.toThrow(/the agent has no samples of it: it restarted/);
    });

    it('accepts missing early steps of a group registered after the window started, and reports them', async () => {
      const late = await collectMetrics(builtin, deps({ registrationOf: scraping(startMs + 10_000), scraped: () => [instance(2, [10, 20])] }));
      expect(late.metrics.rps!.control.values).toEqual([null, null, 2]);
      expect(late.coverage.control).toMatchObject({ steps: 3, stepsWithData: 2, firstSampleMs: startMs + 10_000 });
    });

    it('names the scope when a window is impossible', async () => {
      const backwards = payload({ source: { type: 'builtin' }, metrics: [{ name: 'rps', query }], control: { scope: 'b', location: 'local', startMs: 10, endMs: 5 } });
      await expect(collectMetrics(backwards, deps({ registrationOf: scraping(), scraped: () => [] }))).rejects.toThrow(/^control b: the window ends \(5\) before it starts \(10\)/);
    });
  });
});
