/**
 * Canary analysis end to end with the builtin metric source: the edge's canary stage deploys a
 * baseline and a canary beside production, the agent scrapes their instances itself, collects
 * the error ratio, and the judge fails a flaky canary and passes a healthy one; both groups are
 * destroyed either way. The agent also keeps a Prometheus file_sd file listing the instances.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../scripts/stack.mjs';
import { processesLoggingTo } from './providers/local/testing.ts';
import { hello, stackCaller, traffic, until } from './stack-testing.ts';

const PORT = 8845;
let stack: Awaited<ReturnType<typeof startStack>>;
let stateDir = '';
let sdFile = '';

const call = stackCaller(() => stack);

const finished = (id: string) =>
  until(`execution ${id}`, async () => {
    const { json } = await call('GET', `/executions/${id}`);
    return ['NOT_STARTED', 'RUNNING'].includes(json.status) ? undefined : json;
  }, 150_000);

const canaryStage = (artifactEnv: Record<string, string>) => ({
  name: 'canary',
  stages: [{
    refId: '1', type: 'canary', name: 'Canary',
    canaryConfigName: 'errors', account: 'local', location: 'local', cluster: 'hello-web',
    artifact: hello(artifactEnv), instances: 1, lifetimeMins: 0.4, stepSec: 1, healthCheckTimeoutSec: 30,
  }],
});

describe('canary stage with the builtin metric source', () => {
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-canary-'));
    sdFile = path.join(stateDir, 'prometheus-sd', 'gennaker.json');
    stack = await startStack({ port: PORT, stateDir, agent: true, seed: false, agentArgs: ['--prometheus-sd-file', sdFile] });
    expect((await call('POST', '/applications', { name: 'hello' })).status).toBe(201);
    const config = {
      name: 'errors',
      metrics: [{
        name: 'error rate',
        query: { type: 'builtin', metric: 'http_request_errors_total', aggregation: 'ratio', denominator: 'http_request_duration_seconds_count' },
        groups: ['errors'],
        analysisConfigurations: { canary: { direction: 'increase', critical: true } },
      }],
      classifier: { groupWeights: { errors: 100 } },
    };
    const saved = await call('POST', '/applications/hello/canary-configs', config);
    expect(saved.status, JSON.stringify(saved.json)).toBe(201);
    const deploy = await call('POST', '/applications/hello/pipelines', {
      name: 'deploy',
      stages: [{
        refId: '1', type: 'deploy', name: 'Deploy',
        clusters: [{ account: 'local', location: 'local', application: 'hello', stack: 'web', strategy: 'redblack', capacity: { min: 1, max: 1, desired: 1 }, artifact: hello({ VERSION: '1.0.0' }), healthCheckTimeoutSec: 30 }],
      }],
    });
    const run = await call('POST', `/pipelines/${deploy.json.id}/executions`, {});
    expect((await finished(run.json.id)).status).toBe('SUCCEEDED');
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    // The local provider's instances outlive the agent by design: end the ones this test started.
    for (const pid of await processesLoggingTo(stateDir)) process.kill(pid, 'SIGKILL');
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  async function runCanary(env: Record<string, string>) {
    const lb = await until('load balancer', async () => (await call('GET', '/applications/hello/load-balancers')).json.items?.find((l: any) => l.name === 'hello-web')?.address);
    const pipeline = await call('POST', '/applications/hello/pipelines', { ...canaryStage(env), name: `canary ${env.VERSION}` });
    const stop = traffic(lb);
    try {
      const run = await call('POST', `/pipelines/${pipeline.json.id}/executions`, {});
      // While it runs, the agent's file_sd file lists the canary's instance for a Prometheus to find.
      const listed = await until('canary instance in the file_sd file', async () => {
        const targets = JSON.parse(await readFile(sdFile, 'utf8')) as { labels: Record<string, string> }[];
        return targets.find((t) => t.labels.detail === 'canary')?.labels;
      }, 90_000);
      expect(listed).toMatchObject({ app: 'hello', stack: 'web', cluster: 'hello-web-canary', account: 'local', location: 'local' });
      return await finished(run.json.id);
    } finally {
      await stop();
    }
  }

  it('fails a canary that answers half its requests with errors, and destroys both groups', async () => {
    const done = await runCanary({ VERSION: '2.0.0', ERROR_RATE: '0.5' });
    const stage = done.stages[0];
    expect(done.status, JSON.stringify(stage.error)).toBe('TERMINAL');
    expect(stage.outputs.result).toBe('Fail');
    expect(stage.error.message).toMatch(/canary failed/);
    const clusters = (await call('GET', '/applications/hello/clusters')).json.accounts[0].clusters.map((c: any) => [c.cluster, c.locations[0].serverGroups.length]);
    expect(clusters).toEqual(expect.arrayContaining([['hello-web', 1]]));
    expect(clusters.filter(([, n]: [string, number]) => n > 0).map(([c]: [string]) => c)).toEqual(['hello-web']);
  }, 180_000);

  it('passes a healthy canary', async () => {
    const done = await runCanary({ VERSION: '2.0.1' });
    expect(done.status, JSON.stringify(done.stages[0].error)).toBe('SUCCEEDED');
    expect(done.stages[0].outputs.result).toBe('Pass');
  }, 180_000);
});
