/**
 * Issue 5's end-to-end canary with a real Prometheus (Debian's package): the agent lists its
 * instances in a file_sd file, Prometheus scrapes them every second, and a pipeline
 * `canary (prometheus source) → promote` runs while traffic flows through production's load
 * balancer. A version answering half its requests with errors is judged Fail and not promoted;
 * a healthy one passes and replaces production. Baseline and canary groups go either way.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../scripts/stack.mjs';
import { startPrometheus, type Prometheus } from './metrics/testing.ts';
import { processesLoggingTo } from './providers/local/testing.ts';
import { hello, stackCaller, traffic, until } from './stack-testing.ts';

const PORT = 8846;
const PROMETHEUS_PORT = 8851;
/** Steps of the canary, and the rate window behind each (three steps: a late scrape still leaves two samples). */
const STEP_SEC = 2;
/** Only the service's own requests: `_count` of the latency histogram leaves out health checks and scrapes. */
const ERROR_RATIO =
  'sum(rate(http_request_errors_total{server_group="${scope}",location="${location}"}[6s]))' +
  ' / sum(rate(http_request_duration_seconds_count{server_group="${scope}",location="${location}"}[6s]))';

let stack: Awaited<ReturnType<typeof startStack>> | undefined;
let prometheus: Prometheus | undefined;
let stateDir = '';

const call = stackCaller(() => stack);

const finished = (id: string) =>
  until(`execution ${id}`, async () => {
    const { json } = await call('GET', `/executions/${id}`);
    return ['NOT_STARTED', 'RUNNING'].includes(json.status) ? undefined : json;
  }, 240_000);

const production = (env: Record<string, string>) => ({
  account: 'local', location: 'local', application: 'hello', stack: 'web', strategy: 'redblack',
  capacity: { min: 1, max: 1, desired: 1 }, artifact: hello(env), healthCheckTimeoutSec: 30,
});

/** Spinnaker's promotion pattern: the canary may fail without ending the run; only a pass deploys. */
const canaryThenPromote = (env: Record<string, string>) => ({
  name: `canary ${env.VERSION}`,
  stages: [
    {
      refId: '1', type: 'canary', name: 'Canary',
      canaryConfigName: 'errors', account: 'local', location: 'local', cluster: 'hello-web',
      artifact: hello(env), instances: 1, healthCheckTimeoutSec: 30,
      // Two 12 s intervals after a 6 s warm-up: Prometheus has found and scraped both groups by then.
      lifetimeMins: 0.4, analysisIntervalMins: 0.2, beginCanaryAnalysisAfterMins: 0.1, stepSec: STEP_SEC,
      // No URL: the agent's --prometheus-url.
      metricsSource: { type: 'prometheus' },
      continuePipeline: true,
    },
    {
      refId: '2', requisiteStageRefIds: ['1'], type: 'deploy', name: 'Promote',
      stageEnabled: { type: 'expression', expression: "${stage('Canary').outputs.result == 'Pass'}" },
      clusters: [production(env)],
    },
  ],
});

/** The clusters as the API shows them: name → its server groups (newest first). */
async function clusters(): Promise<Map<string, any[]>> {
  const { json } = await call('GET', '/applications/hello/clusters');
  return new Map(json.accounts.flatMap((a: any) => a.clusters.map((c: any) => [c.cluster, c.locations.flatMap((l: any) => l.serverGroups)])));
}

/** The artifact versions production's enabled groups run. */
async function servingVersions(): Promise<string[]> {
  return ((await clusters()).get('hello-web') ?? []).filter((g) => !g.disabled).map((g) => g.artifact?.version);
}

const present = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

describe('canary stage with a real Prometheus, then promotion', () => {
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-canary-prometheus-'));
    const sdFile = path.join(stateDir, 'prometheus-sd', 'gennaker.json');
    prometheus = await startPrometheus({ port: PROMETHEUS_PORT, dir: stateDir, sdFile });
    stack = await startStack({
      port: PORT, stateDir, agent: true, seed: false,
      agentArgs: ['--prometheus-sd-file', sdFile, '--prometheus-url', prometheus.url],
    });
    expect((await call('POST', '/applications', { name: 'hello' })).status).toBe(201);
    const config = {
      name: 'errors',
      metrics: [{
        name: 'error ratio',
        query: { type: 'prometheus', query: ERROR_RATIO },
        groups: ['errors'],
        analysisConfigurations: { canary: { direction: 'increase', critical: true } },
      }],
      classifier: { groupWeights: { errors: 100 }, scoreThresholds: { pass: 75, marginal: 50 } },
    };
    const saved = await call('POST', '/applications/hello/canary-configs', config);
    expect(saved.status, JSON.stringify(saved.json)).toBe(201);
    const deploy = await call('POST', '/applications/hello/pipelines', { name: 'deploy', stages: [{ refId: '1', type: 'deploy', name: 'Deploy', clusters: [production({ VERSION: '1.0.0' })] }] });
    expect(deploy.status, JSON.stringify(deploy.json)).toBe(201);
    const run = await call('POST', `/pipelines/${deploy.json.id}/executions`, {});
    expect((await finished(run.json.id)).status).toBe('SUCCEEDED');
    // Prometheus finds production through the agent's file: discovery works before any canary.
    await prometheus.waitFor('production scraped by Prometheus', async () => (await prometheus!.query('up{cluster="hello-web"} == 1')).length === 1);
  }, 300_000);

  afterAll(async () => {
    // Each step runs even if one before it fails: nothing may outlive the test.
    const steps = [
      () => stack?.stop(),
      async () => {
        // The local provider's instances outlive the agent by design: end the ones this test started.
        for (const pid of await processesLoggingTo(stateDir)) process.kill(pid, 'SIGKILL');
      },
      () => prometheus?.stop(),
      () => (stateDir ? rm(stateDir, { recursive: true, force: true }) : undefined),
    ];
    const failures: unknown[] = [];
    for (const step of steps) await Promise.resolve().then(step).catch((err: unknown) => failures.push(err));
    if (failures.length) throw failures[0];
  }, 60_000);

  async function runPipeline(env: Record<string, string>) {
    const lb = await until('load balancer', async () => (await call('GET', '/applications/hello/load-balancers')).json.items?.find((l: any) => l.name === 'hello-web')?.address);
    const pipeline = await call('POST', '/applications/hello/pipelines', canaryThenPromote(env));
    expect(pipeline.status, JSON.stringify(pipeline.json)).toBe(201);
    const stop = traffic(lb);
    try {
      const run = await call('POST', `/pipelines/${pipeline.json.id}/executions`, {});
      const done = await finished(run.json.id);
      const [canary, promote] = ['Canary', 'Promote'].map((name) => done.stages.find((s: any) => s.name === name));
      const report = await call('GET', `/applications/hello/canary-reports/${canary.outputs.canaryReportId}`);
      expect(report.status, JSON.stringify(report.json)).toBe(200);
      return { done, canary, promote, report: report.json };
    } finally {
      await stop();
    }
  }

  /** The canary's groups are destroyed and gone from the inventory the agent reports. */
  async function expectCanaryGroupsGone() {
    const left = await until('baseline and canary groups gone', async () => {
      const all = await clusters();
      const rest = ['hello-web-baseline', 'hello-web-canary'].flatMap((c) => all.get(c) ?? []);
      return rest.length === 0 ? all : undefined;
    });
    expect([...left].filter(([, groups]) => groups.length > 0).map(([c]) => c)).toEqual(['hello-web']);
  }

  it('fails a version that answers half its requests with errors, judged from Prometheus, and does not promote it', async () => {
    const { done, canary, promote, report } = await runPipeline({ VERSION: '2.0.0', ERROR_RATE: '0.5' });
    expect(canary.status, JSON.stringify(canary.error)).toBe('FAILED_CONTINUE');
    expect(canary.outputs.result).toBe('Fail');
    expect(canary.error.message).toMatch(/canary failed: interval 1 of 2 scored 0 ≤ marginal 50/);
    expect(promote.status).toBe('SKIPPED');
    // Spinnaker's rule: a failure that lets the pipeline continue does not fail the run.
    expect(done.status).toBe('SUCCEEDED');
    expect(await servingVersions()).toEqual(['1.0.0']);
    await expectCanaryGroupsGone();

    expect(report).toMatchObject({ status: 'FAILED', result: 'Fail', metricsSource: 'prometheus', completedIntervals: 1, plannedIntervals: 2, experiment: { version: '2.0.0' }, control: { version: '1.0.0' } });
    expect(report.intervals).toHaveLength(1);
    // The report lists verdicts; each interval's series come one interval at a time.
    const interval = (await call('GET', `/applications/hello/canary-reports/${report.id}/intervals/1`)).json;
    const verdict = interval.judge.metrics.find((m: any) => m.name === 'error ratio');
    expect(verdict).toMatchObject({ label: 'High', critical: true });
    // The series came from Prometheus' scrapes: nearly every step has a value, the canary's near half errors.
    const { control, experiment } = interval.series['error ratio'];
    expect(control.stepSec).toBe(STEP_SEC);
    expect(present(control.values).length).toBeGreaterThanOrEqual(control.values.length - 1);
    expect(present(experiment.values).length).toBeGreaterThanOrEqual(experiment.values.length - 1);
    expect(Math.max(...present(control.values))).toBe(0);
    expect(mean(present(experiment.values))).toBeGreaterThan(0.25);
    expect(mean(present(experiment.values))).toBeLessThan(0.75);
  }, 300_000);

  it('passes a healthy version and promotes it to production', async () => {
    const { done, canary, promote, report } = await runPipeline({ VERSION: '2.0.1' });
    expect(canary.status, JSON.stringify(canary.error)).toBe('SUCCEEDED');
    expect(canary.outputs.result).toBe('Pass');
    expect(promote.status, JSON.stringify(promote.error)).toBe('SUCCEEDED');
    expect(done.status).toBe('SUCCEEDED');
    expect(await until('production serving 2.0.1', async () => {
      const versions = await servingVersions();
      return versions.length === 1 && versions[0] === '2.0.1' ? versions : undefined;
    })).toEqual(['2.0.1']);
    await expectCanaryGroupsGone();

    expect(report).toMatchObject({ status: 'SUCCEEDED', result: 'Pass', metricsSource: 'prometheus', completedIntervals: 2, experiment: { version: '2.0.1' }, control: { version: '1.0.0' } });
    expect(report.intervals.map((i: any) => i.judge.metrics.find((m: any) => m.name === 'error ratio').label)).toEqual(['Pass', 'Pass']);
    for (const { index } of report.intervals) {
      const interval = (await call('GET', `/applications/hello/canary-reports/${report.id}/intervals/${index}`)).json;
      const { control, experiment } = interval.series['error ratio'];
      expect(present(control.values).length).toBeGreaterThanOrEqual(control.values.length - 1);
      expect(present(experiment.values).length).toBeGreaterThanOrEqual(experiment.values.length - 1);
      expect(Math.max(...present(experiment.values))).toBe(0);
    }
  }, 300_000);
});
