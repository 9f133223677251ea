/**
 * The `prometheus` metric source against a real Prometheus (Debian's package): it discovers two
 * `examples/hello` instances through the file_sd file the agent writes, scrapes them every second,
 * and the agent's collection tells the flaky canary from the healthy baseline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations, type InventoryReport } from '../../contract/operations.ts';
import { collectMetrics } from './collect.ts';
import { httpGet } from './http.ts';
import { SdFileWriter } from './sd-file.ts';
import { driveTraffic, startHello, startPrometheus, type Hello, type Prometheus } from './testing.ts';

const PORT = 8850;
const PROMETHEUS_URL = `http://127.0.0.1:${PORT}`;

let dir: string;
let prometheus: Prometheus | undefined;
const hellos: Hello[] = [];

const group = (name: string, detail: string, hello: Hello): InventoryReport['serverGroups'][number] => ({
  name, location: 'local', moniker: { app: 'hello', stack: '', detail, cluster: `hello--${detail}`, sequence: 1 }, disabled: false,
  capacity: { min: 1, max: 1, desired: 1 }, artifact: null, loadBalancers: [], createdAt: 0,
  instances: [{ id: `${name}-0`, name: `${name}-0`, health: 'Up', address: hello.address, launchedAt: 0 }],
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-prometheus-'));
  hellos.push(await startHello({ VERSION: '1.0.0' }), await startHello({ VERSION: '2.0.0', ERROR_RATE: '0.5' }));
  const [good, bad] = hellos as [Hello, Hello];
  const sdFile = path.join(dir, 'sd', 'gennaker.json');
  const inventory: InventoryReport = { account: 'local', loadBalancers: [], serverGroups: [group('hello-baseline-v001', 'baseline', good), group('hello-canary-v001', 'canary', bad)] };
  await new SdFileWriter(sdFile, async () => [inventory], () => undefined, () => undefined).update();
  prometheus = await startPrometheus({ port: PORT, dir, sdFile });
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all(hellos.map((h) => h.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('prometheus metric source with a real Prometheus', () => {
  it('finds the instances through the agent’s file_sd file and tells the flaky canary’s error rate from the baseline’s', async () => {
    await prometheus!.waitFor('both instances discovered and up', async () => {
      const up = await prometheus!.query('up{job="gennaker"} == 1');
      return new Set(up.map((s) => s.metric.server_group)).size === 2;
    });
    const labels = (await prometheus!.query('up{server_group="hello-canary-v001"}'))[0]!.metric;
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
    const { metrics: collected, coverage } = await collectMetrics(
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
    expect(coverage.experiment).toMatchObject({ scope: 'hello-canary-v001', steps: 8, stepsWithData: present(experiment.values).length });
  });

  it('reports a query Prometheus refuses, naming the metric and the query, from a Prometheus the agent allows', async () => {
    const bad = operations.collectMetrics.parse({
      account: 'local', location: 'local', source: { type: 'prometheus', url: PROMETHEUS_URL }, stepSec: 1,
      metrics: [{ name: 'broken', query: { type: 'prometheus', query: 'sum(rate(x{server_group="${scope}"}))' } }],
      control: { scope: 'hello-baseline-v001', location: 'local', startMs: Date.now() - 5_000, endMs: Date.now() },
      experiment: { scope: 'hello-canary-v001', location: 'local', startMs: Date.now() - 5_000, endMs: Date.now() },
    });
    const deps = { get: httpGet, scraped: () => undefined, registrationOf: () => undefined, log: () => undefined };
    await expect(collectMetrics(bad, deps)).rejects.toThrow(/^this agent does not query Prometheus at http:\/\/127.0.0.1:8850\/?: /);
    await expect(collectMetrics(bad, { ...deps, prometheusAllow: [PROMETHEUS_URL] })).rejects.toThrow(
      /metric "broken": Prometheus at http:\/\/127.0.0.1:8850 refused query sum\(rate\(x\{server_group="hello-(baseline|canary)-v001"\}\)\): bad_data: /,
    );
  });
});
