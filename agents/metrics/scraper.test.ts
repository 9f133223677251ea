import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryReport, ServerGroupSnapshot } from '../../contract/operations.ts';
import { collectMetrics } from './collect.ts';
import { httpGet, type HttpGet } from './http.ts';
import { Scraper, type ScraperDeps } from './scraper.ts';
import { driveTraffic, startHello, type Hello } from './testing.ts';

let dir: string;
let good: Hello;
let bad: Hello;
const scrapers: Scraper[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-scraper-'));
  [good, bad] = await Promise.all([startHello({ VERSION: '1.0.0' }), startHello({ VERSION: '2.0.0', ERROR_RATE: '0.5' })]);
});
afterAll(async () => {
  await Promise.all([good?.stop(), bad?.stop()]);
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const s of scrapers.splice(0)) await s.close();
});

const group = (name: string, addresses: string[]): ServerGroupSnapshot => ({
  name,
  location: 'local',
  moniker: { app: 'hello', stack: '', detail: name.includes('canary') ? 'canary' : 'baseline', cluster: name.replace(/-v\d+$/, ''), sequence: 1 },
  disabled: false,
  capacity: { min: 1, max: 1, desired: 1 },
  artifact: null,
  loadBalancers: [],
  createdAt: 0,
  instances: addresses.map((address, i) => ({ id: `${name}-${i}`, name: `${name}-${i}`, health: 'Up', address, launchedAt: 0 })),
});

/** A scraper over an account whose inventory the test sets. */
async function scraper(groups: () => ServerGroupSnapshot[], over: Partial<ScraperDeps> = {}) {
  const lines: string[] = [];
  const s = await Scraper.open({
    inventoryOf: (account): Promise<InventoryReport> | undefined => (account === 'local' ? Promise.resolve({ account, serverGroups: groups(), loadBalancers: [] }) : undefined),
    get: httpGet,
    log: (line) => lines.push(line),
    now: Date.now,
    registrationsFile: path.join(dir, 'scrapes.json'),
    ...over,
  });
  scrapers.push(s);
  return { s, lines };
}
const ref = (serverGroupName: string) => ({ account: 'local', location: 'local', serverGroupName });

describe('Scraper with real examples/hello instances', () => {
  it('scrapes every step, and the builtin error ratio tells the bad instance (~0.5) from the good one (0)', { timeout: 20_000 }, async () => {
    const { s } = await scraper(() => [group('hello-baseline-v001', [good.address]), group('hello-canary-v001', [bad.address])]);
    const startMs = Date.now();
    const stopTraffic = driveTraffic([good.address, bad.address]);
    await s.register({ ...ref('hello-baseline-v001'), path: '/metrics', stepSec: 1 });
    await s.register({ ...ref('hello-canary-v001'), path: '/metrics', stepSec: 1 });
    await delay(6_500);
    const sent = await stopTraffic();
    const endMs = Date.now();
    expect(sent).toBeGreaterThan(100);

    const window = { startMs: startMs + 1_000, endMs };
    const { metrics: collected, coverage } = await collectMetrics(
      {
        account: 'local', location: 'local', source: { type: 'builtin' }, stepSec: 1,
        metrics: [
          { name: 'error rate', query: { type: 'builtin', metric: 'http_request_errors_total', aggregation: 'ratio', denominator: 'http_request_duration_seconds_count', labels: {} } },
          { name: 'requests', query: { type: 'builtin', metric: 'http_requests_total', aggregation: 'rate', labels: { path: '/' } } },
          { name: 'p50', query: { type: 'builtin', metric: 'http_request_duration_seconds', aggregation: 'quantile', quantile: 0.5, labels: {} } },
        ],
        control: { scope: 'hello-baseline-v001', location: 'local', ...window },
        experiment: { scope: 'hello-canary-v001', location: 'local', ...window },
      },
      { get: httpGet, scraped: (t, from, to, names) => s.read(t, from, to, names), registrationOf: (t) => s.registrationOf(t), log: () => undefined },
    );
    const present = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
    const mean = (values: (number | null)[]) => present(values).reduce((a, v) => a + v, 0) / present(values).length;
    const errors = collected['error rate']!;
    expect(errors.control.stepSec).toBe(1);
    expect(errors.control.startMs).toBe(window.startMs);
    expect(present(errors.control.values).length).toBeGreaterThanOrEqual(4);
    expect(present(errors.control.values).every((v) => v === 0)).toBe(true);
    expect(mean(errors.experiment.values)).toBeGreaterThan(0.3);
    expect(mean(errors.experiment.values)).toBeLessThan(0.7);
    expect(mean(collected.requests!.control.values)).toBeGreaterThan(10);
    expect(present(collected.p50!.experiment.values).every((v) => v > 0 && v <= 0.1)).toBe(true);
    // Scraped since before the window, every 1 s step has a scrape.
    expect(coverage.control.firstSampleMs).toBeLessThanOrEqual(window.startMs);
    expect(coverage.control.stepsWithData).toBeGreaterThanOrEqual(coverage.control.steps - 1);
  });

  it('keeps registrations in its file: a new scraper resumes them; unregistering removes them', async () => {
    const groups = () => [group('hello-baseline-v001', [good.address])];
    const registrationsFile = path.join(dir, 'resume.json');
    const first = await scraper(groups, { now: () => 1_000, registrationsFile });
    await first.s.register({ ...ref('hello-baseline-v001'), path: '/metrics', stepSec: 1 });
    // A repeated registration with a new path keeps the first registration time.
    await first.s.register({ ...ref('hello-baseline-v001'), path: '/metrics?x', stepSec: 1, registeredAtMs: 5_000 });
    await first.s.register({ ...ref('hello-baseline-v001'), path: '/metrics', stepSec: 1 });
    await first.s.close();
    expect(JSON.parse(await readFile(registrationsFile, 'utf8'))).toEqual([{ ...ref('hello-baseline-v001'), path: '/metrics', stepSec: 1, registeredAtMs: 1_000 }]);

    const second = await scraper(groups, { registrationsFile });
    expect(second.lines).toContain('scraping metrics of 1 server group(s) again');
    expect(second.s.registrationOf(ref('hello-baseline-v001'))?.registeredAtMs).toBe(1_000);
    await second.s.scrapeNow(ref('hello-baseline-v001'));
    expect(second.s.read(ref('hello-baseline-v001'), 0, Date.now())?.[0]?.timesMs.length).toBeGreaterThanOrEqual(1);
    await second.s.unregister(ref('hello-baseline-v001'));
    expect(second.s.read(ref('hello-baseline-v001'), 0, Date.now())).toBeUndefined();
    expect(JSON.parse(await readFile(registrationsFile, 'utf8'))).toEqual([]);
  });

  it('drops a group the inventory no longer has, and says once when an instance cannot be scraped', async () => {
    let groups = [group('hello-canary-v002', [bad.address, 'http://127.0.0.1:1'])];
    const { s, lines } = await scraper(() => groups);
    await s.register({ ...ref('hello-canary-v002'), path: '/metrics', stepSec: 1 });
    await s.scrapeNow(ref('hello-canary-v002'));
    await s.scrapeNow(ref('hello-canary-v002'));
    expect(lines.filter((l) => l.includes('cannot scrape http://127.0.0.1:1/metrics'))).toHaveLength(1);
    expect(s.read(ref('hello-canary-v002'), 0, Date.now())).toHaveLength(1);
    groups = [];
    await delay(1_200);
    expect(lines).toContain('server group hello-canary-v002 (local/local) is gone; no longer scraping its metrics');
    expect(s.registrationOf(ref('hello-canary-v002'))).toBeUndefined();
  });

  it('makes no requests at all while nothing is registered', async () => {
    await writeFile(path.join(dir, 'scrapes.json'), '[]\n');
    let calls = 0;
    const counting: HttpGet = (url, options) => (calls++, httpGet(url, options));
    await scraper(() => [group('hello-baseline-v001', [good.address])], { get: counting });
    await delay(1_500);
    expect(calls).toBe(0);
  });

  it('ignores a registrations file it cannot read as registrations', async () => {
    await writeFile(path.join(dir, 'scrapes.json'), '{not json');
    const { lines } = await scraper(() => []);
    expect(lines).toEqual([`ignoring ${path.join(dir, 'scrapes.json')}: not a list of metric scrape registrations`]);
  });
});

describe('Scraper memory', () => {
  /** An exporter with `series` gauges, a summary and an info metric, answering every scrape. */
  const exporter = (series: number): HttpGet => async () => ({
    status: 200,
    body: [
      ...Array.from({ length: series }, (_, i) => `g${i} ${i}`),
      '# TYPE rpc summary', 'rpc{quantile="0.5"} 1', 'rpc{quantile="0.99"} 2', 'rpc_sum 3', 'rpc_count 4',
      '# TYPE build info', 'build_info{version="1"} 1',
    ].join('\n'),
  });

  it('keeps only what builtin queries can read', async () => {
    const { s } = await scraper(() => [group('hello-canary-v003', ['http://i0'])], { get: exporter(2), registrationsFile: path.join(dir, 'memory-1.json') });
    await s.register({ ...ref('hello-canary-v003'), path: '/metrics', stepSec: 3600 });
    await s.scrapeNow(ref('hello-canary-v003'));
    expect(s.read(ref('hello-canary-v003'), 0, Infinity)![0]!.series.map((x) => x.name)).toEqual(['g0', 'g1', 'rpc_sum', 'rpc_count']);
  });

  it('holds at most maxPoints values across every group, forgetting the oldest scrapes, and says so once', async () => {
    let nowMs = 0;
    const groups = () => [group('hello-baseline-v004', ['http://i0', 'http://i1']), group('hello-canary-v004', ['http://i2'])];
    const { s, lines } = await scraper(groups, { get: exporter(8), now: () => nowMs, maxPoints: 1_000, registrationsFile: path.join(dir, 'memory-2.json') });
    await s.register({ ...ref('hello-baseline-v004'), path: '/metrics', stepSec: 3600 });
    await s.register({ ...ref('hello-canary-v004'), path: '/metrics', stepSec: 3600 });
    // 10 series per instance, 3 instances: 30 values a scrape round; the cap is reached after 33 rounds.
    for (nowMs = 1_000; nowMs <= 100_000; nowMs += 1_000) {
      await s.scrapeNow(ref('hello-baseline-v004'));
      await s.scrapeNow(ref('hello-canary-v004'));
    }
    const held = [...s.read(ref('hello-baseline-v004'), 0, Infinity)!, ...s.read(ref('hello-canary-v004'), 0, Infinity)!];
    const values = held.reduce((sum, i) => sum + i.timesMs.length * i.series.length, 0);
    expect(values).toBeLessThanOrEqual(1_000);
    expect(values).toBeGreaterThan(1_000 * (15 / 16) - 30);
    // The newest scrapes are all there; every instance lost the same oldest ones.
    expect(held.map((i) => i.timesMs.at(-1))).toEqual([100_000, 100_000, 100_000]);
    expect(new Set(held.map((i) => i.timesMs[0])).size).toBe(1);
    expect(lines.filter((l) => l.includes('reached 1000 values'))).toEqual([
      'metrics: the samples of all scraped groups reached 1000 values; forgetting the oldest first (builtin canary windows reaching back before them will fail)',
    ]);
  });
});
