/**
 * The `prometheus` metric source against a real Prometheus (Debian's package): it discovers two
 * `examples/hello` instances through the file_sd file the agent writes, scrapes them every second,
 * and the agent's collection tells the flaky canary from the healthy baseline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations, type InventoryReport } from '../../contract/operations.ts';
import { collectMetrics } from './collect.ts';
import { httpGet } from './http.ts';
import { SdFileWriter } from './sd-file.ts';
import { driveTraffic, startHello, type Hello } from './testing.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const PORT = 8850;
const PROMETHEUS_URL = `http://127.0.0.1:${PORT}`;

let dir: string;
let prometheus: ChildProcess | undefined;
let prometheusExit: Promise<void> | undefined;
let prometheusLog = '';
const hellos: Hello[] = [];

const group = (name: string, detail: string, hello: Hello): InventoryReport['serverGroups'][number] => ({
  name, location: 'local', moniker: { app: 'hello', stack: '', detail, cluster: `hello--${detail}`, sequence: 1 }, disabled: false,
  capacity: { min: 1, max: 1, desired: 1 }, artifact: null, loadBalancers: [], createdAt: 0,
  instances: [{ id: `${name}-0`, name: `${name}-0`, health: 'Up', address: hello.address, launchedAt: 0 }],
});

async function promQuery(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (prometheus?.exitCode !== null && prometheus?.exitCode !== undefined) throw new Error(`prometheus exited (${prometheus.exitCode}):\n${prometheusLog}`);
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; prometheus said:\n${prometheusLog.slice(-4000)}`);
    await delay(250);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-prometheus-'));
  hellos.push(await startHello({ VERSION: '1.0.0' }), await startHello({ VERSION: '2.0.0', ERROR_RATE: '0.5' }));
  const [good, bad] = hellos as [Hello, Hello];
  const sdFile = path.join(dir, 'sd', 'gennaker.json');
  const inventory: InventoryReport = { account: 'local', loadBalancers: [], serverGroups: [group('hello-baseline-v001', 'baseline', good), group('hello-canary-v001', 'canary', bad)] };
  await new SdFileWriter(sdFile, async () => [inventory], () => undefined, () => undefined).update();
  await writeFile(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: gennaker',
      '    file_sd_configs:',
      `      - files: [${JSON.stringify(sdFile)}]`,
      '        refresh_interval: 1s',
      '',
    ].join('\n'),
  );
  // Its own process group, so stopping it cannot miss a child.
  prometheus = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${PORT}`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [prometheus.stdout!, prometheus.stderr!]) stream.on('data', (chunk: Buffer) => (prometheusLog = (prometheusLog + chunk.toString()).slice(-20_000)));
  prometheusExit = new Promise((resolve) => prometheus!.once('exit', () => resolve()));
  await waitFor('Prometheus ready', async () => (await fetch(`${PROMETHEUS_URL}/-/ready`)).ok);
}, 90_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
    process.kill(-prometheus.pid!, 'SIGTERM');
    const killed = await Promise.race([prometheusExit!.then(() => true), delay(10_000).then(() => false)]);
    if (!killed) process.kill(-prometheus.pid!, 'SIGKILL');
    await prometheusExit;
  }
  await Promise.all(hellos.map((h) => h.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('prometheus metric source with a real Prometheus', () => {
  it('finds the instances through the agent’s file_sd file and tells the flaky canary’s error rate from the baseline’s', async () => {
    await waitFor('both instances discovered and up', async () => {
      const up = await promQuery('up{job="gennaker"} == 1');
      return new Set(up.map((s) => s.metric.server_group)).size === 2;
    });
    const labels = (await promQuery('up{server_group="hello-canary-v001"}'))[0]!.metric;
    expect(labels).toMatchObject({ app: 'hello', cluster: 'hello--canary', detail: 'canary', account: 'local', location: 'local', instance_name: 'hello-canary-v001-0' });

    const trafficFrom = Date.now();
    const stopTraffic = driveTraffic(hellos.map((h) => h.address));
    try {
      // Enough scrapes for eight 1 s steps each with a 3 s rate window behind it.
      await delay(12_000);
    } finally {
      await stopTraffic();
    }
    const window = { location: 'local', startMs: trafficFrom + 4_000, endMs: trafficFrom + 11_000 };
    const errorRate = 'sum(rate(http_request_errors_total{server_group="${scope}",location="${location}"}[3s])) / sum(rate(http_request_duration_seconds_count{server_group="${scope}"}[3s]))';
    const collected = await collectMetrics(
      operations.collectMetrics.parse({
        account: 'local', location: 'local', source: { type: 'prometheus' }, stepSec: 1,
        metrics: [{ name: 'error rate', query: { type: 'prometheus', query: errorRate } }],
        control: { scope: 'hello-baseline-v001', ...window },
        experiment: { scope: 'hello-canary-v001', ...window },
      }),
      { get: httpGet, prometheusUrl: PROMETHEUS_URL, scraped: () => undefined, registrationOf: () => undefined, log: () => undefined },
    );
    const { control, experiment } = collected['error rate']!;
    const present = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
    expect(control.values).toHaveLength(8);
    expect(present(control.values).length).toBeGreaterThanOrEqual(6);
    expect(present(experiment.values).length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...present(control.values))).toBe(0);
    const mean = present(experiment.values).reduce((s, v) => s + v, 0) / present(experiment.values).length;
    expect(mean).toBeGreaterThan(0.3);
    expect(mean).toBeLessThan(0.7);
  });

  it('reports a query Prometheus refuses, naming the metric and the query', async () => {
    const bad = operations.collectMetrics.parse({
      account: 'local', location: 'local', source: { type: 'prometheus', url: PROMETHEUS_URL }, stepSec: 1,
      metrics: [{ name: 'broken', query: { type: 'prometheus', query: 'sum(rate(x{server_group="${scope}"}))' } }],
      control: { scope: 'hello-baseline-v001', location: 'local', startMs: Date.now() - 5_000, endMs: Date.now() },
      experiment: { scope: 'hello-canary-v001', location: 'local', startMs: Date.now() - 5_000, endMs: Date.now() },
    });
    await expect(collectMetrics(bad, { get: httpGet, scraped: () => undefined, registrationOf: () => undefined, log: () => undefined })).rejects.toThrow(
      /metric "broken": Prometheus at http:\/\/127.0.0.1:8850 refused query sum\(rate\(x\{server_group="hello-(baseline|canary)-v001"\}\)\): bad_data: /,
    );
  });
});
