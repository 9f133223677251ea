/** Shared by the canary stage's tests: a production cluster, a stored config, and series to answer with. */
import { applications, canaryConfigs, canaryConfigVersions } from '../../../../db/schema.ts';
import { Harness, stage, type FakeAgent, type TaskRow } from '../../test/harness.ts';

export const PROD_ARTIFACT = { type: 'process', command: 'node', args: ['hello.mjs'], env: { VERSION: '1.0.0' }, version: 'hello 1.0.0' };
export const NEW_ARTIFACT = { type: 'process', command: 'node', args: ['hello.mjs'], env: { VERSION: '2.0.0' }, version: 'hello 2.0.0' };

const builtin = (metric: string, extra: Record<string, unknown> = {}) => ({ type: 'builtin', metric, aggregation: 'rate', ...extra });

/** Error ratio (critical), latency and cpu: one metric per group, so one non-critical High scores 66.67. */
export const testConfig = (name = 'health') => ({
  name,
  metrics: [
    { name: 'errors', query: builtin('http_request_errors_total', { aggregation: 'ratio', denominator: 'http_requests_total' }), groups: ['errors'], analysisConfigurations: { canary: { direction: 'increase', critical: true } } },
    { name: 'latency', query: builtin('http_request_duration_seconds', { aggregation: 'quantile', quantile: 0.99 }), groups: ['latency'], analysisConfigurations: { canary: { direction: 'increase' } } },
    { name: 'cpu', query: builtin('process_cpu_seconds_total'), groups: ['cpu'], analysisConfigurations: { canary: { direction: 'increase' } } },
  ],
  classifier: { groupWeights: {}, scoreThresholds: { pass: 75, marginal: 50 } },
});

/** Stores a canary config in the harness's application, as the configs API does (version 1 and its history row). */
export async function storeConfig(h: Harness, config: Record<string, unknown> = testConfig()): Promise<string> {
  await h.db.insert(applications).values({ name: h.app, createdBy: 'test', createdAt: h.now, updatedAt: h.now }).onConflictDoNothing().run();
  const id = crypto.randomUUID();
  const name = String(config.name);
  await h.db.batch([
    h.db.insert(canaryConfigs).values({ id, application: h.app, name, config, version: 1, updatedBy: 'test', createdAt: h.now, updatedAt: h.now }),
    h.db.insert(canaryConfigVersions).values({ configId: id, version: 1, config, author: 'test', action: 'create', note: null, createdAt: h.now }),
  ]);
  return id;
}

/** A harness with an agent whose account has production `<app>-prod-v003` (2 Up, in load balancer `<app>-prod`) and a stored config. */
export async function canarySetup(config: Record<string, unknown> = testConfig()) {
  const h = new Harness();
  const agent = await h.agent();
  const prod = h.cluster('prod');
  await agent.have({ [`${prod}-v002`]: { disabled: true, artifact: { type: 'process', command: 'old' } }, [`${prod}-v003`]: { up: 2, artifact: PROD_ARTIFACT, loadBalancers: [prod] } });
  await storeConfig(h, config);
  return { h, agent, prod };
}

/** A canary stage for the setup's production cluster. */
export const canaryStage = (agent: FakeAgent, prod: string, over: Record<string, unknown> = {}, refId = '1', requisites: string[] = []) =>
  stage(refId, 'canary', {
    name: 'Canary',
    canaryConfigName: 'health',
    account: agent.account,
    location: agent.location,
    cluster: prod,
    artifact: NEW_ARTIFACT,
    instances: 2,
    lifetimeMins: 3,
    analysisIntervalMins: 1,
    stepSec: 10,
    ...over,
  }, requisites);

/** A series of `values` at the canary's step. */
export const series = (values: (number | null)[], startMs = 0) => ({ startMs, stepSec: 10, values });

/** Noisy but alike: 30 points cycling through 13 values, shifted by `add`. */
export const ramp = (add = 0, n = 30) => Array.from({ length: n }, (_, i) => ((i * 7) % 13) + add);

/** Metrics where the canary looks like the baseline, except the metrics named in `worse` (much higher on the canary). */
export function metrics(worse: string[] = []) {
  return Object.fromEntries(['errors', 'latency', 'cpu'].map((m) => [m, { control: series(ramp()), experiment: series(ramp(worse.includes(m) ? 100 : 0)) }]));
}

/** The execution's queued tasks of one operation. */
export async function queuedOf(h: Harness, executionId: string, operation: string): Promise<TaskRow[]> {
  return (await h.queued(executionId)).filter((t) => t.operation === operation);
}

/** The agent creates both groups (healthy) and reports them. */
export async function createGroups(h: Harness, agent: FakeAgent, executionId: string): Promise<TaskRow[]> {
  const creates = await queuedOf(h, executionId, 'createServerGroup');
  for (const t of creates) await agent.succeed(t);
  return creates;
}

/** Answers the queued collectMetrics task with `details`; returns the task. */
export async function answerCollect(h: Harness, agent: FakeAgent, executionId: string, details: Record<string, unknown>): Promise<TaskRow> {
  const [task] = await queuedOf(h, executionId, 'collectMetrics');
  if (!task) throw new Error('no collectMetrics task queued');
  await agent.complete(task, { ok: true, details });
  return task;
}

/** The fake agent's groups of the canary's clusters (baseline and canary), by name. */
export const canaryGroups = (agent: FakeAgent) => [...agent.groups.values()].filter((g) => /-(baseline|canary)$/.test(g.moniker.cluster)).map((g) => g.name).sort();
