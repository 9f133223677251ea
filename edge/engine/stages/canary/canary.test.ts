/**
 * The canary stage run against the in-process engine: a fake agent creates and destroys the
 * groups and answers collectMetrics with series each test chooses; the judge and D1 are real.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { stages as stagesTable } from '../../../../db/schema.ts';
import { MINUTE, SECOND } from '../../test/harness.ts';
import { loadInterval, loadReport } from './report-store.ts';
import {
  answerCollect, canaryGroups, canarySetup, canaryStage, createGroups, metrics, NEW_ARTIFACT, PROD_ARTIFACT, queuedOf, testConfig,
} from './test-support.ts';

/** Starts a pipeline of one canary stage; returns its execution id. */
async function startCanary(s: Awaited<ReturnType<typeof canarySetup>>, over: Record<string, unknown> = {}) {
  const p = await s.h.pipeline({ name: 'canary', stages: [canaryStage(s.agent, s.prod, over)] });
  const id = await s.h.start(p);
  await s.h.run();
  return id;
}

/** Moves the clock past interval `i`'s end (+ one step) and answers its collect with `data`. */
async function interval(s: Awaited<ReturnType<typeof canarySetup>>, id: string, data: Record<string, unknown>) {
  await s.h.advance(MINUTE + 10 * SECOND);
  return answerCollect(s.h, s.agent, id, { metrics: data });
}

describe('canary stage', () => {
  it('creates baseline (production version) and canary (new version) beside production, in its load balancer', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    const creates = await queuedOf(s.h, id, 'createServerGroup');
    const byName = Object.fromEntries(creates.map((t) => [t.payload.serverGroupName, t.payload]));
    expect(Object.keys(byName).sort()).toEqual([`${s.prod}-baseline-v000`, `${s.prod}-canary-v000`]);
    const common = { account: s.agent.account, location: s.agent.location, capacity: { min: 2, max: 2, desired: 2 }, loadBalancers: [s.prod], enabled: true, metrics: { path: '/metrics', stepSec: 10 } };
    expect(byName[`${s.prod}-baseline-v000`]).toMatchObject({ ...common, artifact: PROD_ARTIFACT, moniker: { app: s.h.app, stack: 'prod', detail: 'baseline', cluster: `${s.prod}-baseline`, sequence: 0 } });
    expect(byName[`${s.prod}-canary-v000`]).toMatchObject({ ...common, artifact: NEW_ARTIFACT, moniker: { detail: 'canary', cluster: `${s.prod}-canary` } });
    // Nothing is analysed before both groups are up.
    await s.h.advance(5 * MINUTE);
    expect(await queuedOf(s.h, id, 'collectMetrics')).toEqual([]);
  });

  it('good data: analyses every interval over the lifetime, passes, and destroys both groups', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    await createGroups(s.h, s.agent, id);
    const healthyAt = s.h.now;
    expect(canaryGroups(s.agent)).toEqual([`${s.prod}-baseline-v000`, `${s.prod}-canary-v000`]);
    const collects = [];
    for (let i = 1; i <= 3; i++) collects.push(await interval(s, id, metrics()));
    // Interval i covers [t0, t0 + i min] for both scopes (no warm-up, lookback or offset).
    expect(collects.map((t) => [t.payload.experiment.startMs - healthyAt, t.payload.experiment.endMs - healthyAt])).toEqual([[0, MINUTE], [0, 2 * MINUTE], [0, 3 * MINUTE]]);
    expect(collects[0]!.payload).toMatchObject({
      source: { type: 'builtin' }, stepSec: 10,
      control: { scope: `${s.prod}-baseline-v000`, location: s.agent.location }, experiment: { scope: `${s.prod}-canary-v000` },
      metrics: testConfig().metrics.map((m) => ({ name: m.name, query: { ...m.query, labels: {} } })),
    });
    expect(await queuedOf(s.h, id, 'destroyServerGroup')).toHaveLength(2);
    expect(await s.h.statuses(id)).toEqual({ 1: 'RUNNING' });
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    expect([...s.agent.groups.keys()].map((k) => k.split('/')[1])).toEqual([`${s.prod}-v002`, `${s.prod}-v003`]);
    expect(await s.h.status(id)).toBe('SUCCEEDED');
    const stage = await s.h.stage(id, '1');
    expect(stage.outputs).toMatchObject({ score: 100, result: 'Pass', intervalScores: [100, 100, 100], taskCount: 7, baselineServerGroup: `${s.prod}-baseline-v000`, canaryServerGroup: `${s.prod}-canary-v000` });
    expect((stage.outputs.tasks as { label: string }[]).map((t) => t.label)).toEqual([
      `create ${s.prod}-baseline-v000`, `create ${s.prod}-canary-v000`,
      'collect metrics for interval 1', 'collect metrics for interval 2', 'collect metrics for interval 3',
      `destroy ${s.prod}-baseline-v000`, `destroy ${s.prod}-canary-v000`,
    ]);
    const report = await loadReport(s.h.db, stage.outputs.canaryReportId as string);
    expect(report).toMatchObject({
      application: s.h.app, executionId: id, stageName: 'Canary', configName: 'health', configVersion: 1, status: 'SUCCEEDED', score: 100, result: 'Pass',
      plannedIntervals: 3, completedIntervals: 3, thresholds: { pass: 75, marginal: 50 }, metricsSource: 'builtin',
      control: { serverGroup: `${s.prod}-baseline-v000`, version: 'hello 1.0.0' }, experiment: { serverGroup: `${s.prod}-canary-v000`, version: 'hello 2.0.0' },
    });
    expect(report!.intervals.map((i) => [i.index, i.score, i.result])).toEqual([[1, 100, 'Pass'], [2, 100, 'Pass'], [3, 100, 'Pass']]);
    expect((await loadInterval(s.h.db, report!.id, 1))!.interval!.series.errors!.experiment.values).toHaveLength(30);
    expect(report!.intervals[0]!.judge.metrics.map((m) => m.label)).toEqual(['Pass', 'Pass', 'Pass']);
  });

  it('bad data in interval 1 of 3: fails at once (no more collects) and still destroys both groups', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    await createGroups(s.h, s.agent, id);
    await interval(s, id, metrics(['errors']));
    await s.agent.work(id);
    await s.h.advance(5 * MINUTE);
    expect((await s.h.tasks(id)).filter((t) => t.operation === 'collectMetrics')).toHaveLength(1);
    expect(canaryGroups(s.agent)).toEqual([]);
    expect(await s.h.status(id)).toBe('TERMINAL');
    const stage = await s.h.stage(id, '1');
    expect(stage.status).toBe('TERMINAL');
    expect(stage.error).toMatchObject({ kind: 'user', message: 'canary failed: interval 1 of 3 scored 0 ≤ marginal 50' });
    expect(stage.outputs).toMatchObject({ score: 0, result: 'Fail', intervalScores: [0] });
    const report = await loadReport(s.h.db, stage.outputs.canaryReportId as string);
    expect(report).toMatchObject({ status: 'FAILED', score: 0, result: 'Fail', completedIntervals: 1, plannedIntervals: 3, reason: 'interval 1 of 3 scored 0 ≤ marginal 50' });
    expect(report!.intervals[0]!.judge.metrics.find((m) => m.name === 'errors')).toMatchObject({ label: 'High', critical: true });
  });

  it('a marginal final score (one non-critical metric worse: 66.67) fails the stage', async () => {
    const s = await canarySetup();
    const id = await startCanary(s, { lifetimeMins: 1, analysisIntervalMins: undefined });
    await createGroups(s.h, s.agent, id);
    await interval(s, id, metrics(['latency']));
    await s.agent.work(id);
    expect(await s.h.status(id)).toBe('TERMINAL');
    const stage = await s.h.stage(id, '1');
    expect(stage.outputs).toMatchObject({ score: 66.67, result: 'Marginal', intervalScores: [66.67] });
    expect(stage.error).toMatchObject({ message: 'canary failed: the last interval (1 of 1) scored 66.67 < pass 75' });
    expect(canaryGroups(s.agent)).toEqual([]);
  });

  it('the stage thresholds override the config: 66.67 passes with pass 60, marginal 40', async () => {
    const s = await canarySetup();
    const id = await startCanary(s, { lifetimeMins: 1, scoreThresholds: { pass: 60, marginal: 40 } });
    await createGroups(s.h, s.agent, id);
    await interval(s, id, metrics(['latency']));
    await s.agent.work(id);
    expect(await s.h.status(id)).toBe('SUCCEEDED');
    expect((await s.h.stage(id, '1')).outputs).toMatchObject({ score: 66.67, result: 'Pass' });
  });

  it('with the prometheus source: no scraping is asked of the agent, and collects name the Prometheus and the PromQL', async () => {
    const promql = (m: string) => ({ type: 'prometheus', query: `sum(rate(${m}{server_group="\${scope}"}[30s]))` });
    const config = { ...testConfig(), metrics: testConfig().metrics.map((m) => ({ ...m, query: promql(m.name) })) };
    const s = await canarySetup(config);
    const id = await startCanary(s, { metricsSource: { type: 'prometheus', url: 'http://prometheus.internal:9090' } });
    const creates = await createGroups(s.h, s.agent, id);
    expect(creates.map((t) => t.payload.metrics)).toEqual([undefined, undefined]);
    await s.h.advance(MINUTE + 10 * SECOND);
    const [collect] = await queuedOf(s.h, id, 'collectMetrics');
    expect(collect!.payload.source).toEqual({ type: 'prometheus', url: 'http://prometheus.internal:9090' });
    expect(collect!.payload.metrics[0]).toEqual({ name: 'errors', query: promql('errors') });
  });

  it('warm-up and lookback shape the windows; the baseline offset shifts the control window', async () => {
    const s = await canarySetup();
    const id = await startCanary(s, { lifetimeMins: 2, analysisIntervalMins: 1, beginCanaryAnalysisAfterMins: 0.5, lookbackMins: 0.5, baselineAnalysisOffsetInMins: 0.25 });
    await createGroups(s.h, s.agent, id);
    const t0 = s.h.now;
    await s.h.advance(MINUTE + 30 * SECOND + 9 * SECOND);
    expect(await queuedOf(s.h, id, 'collectMetrics')).toEqual([]);
    await s.h.advance(SECOND);
    const [collect] = await queuedOf(s.h, id, 'collectMetrics');
    expect([collect!.payload.experiment.startMs - t0, collect!.payload.experiment.endMs - t0]).toEqual([MINUTE, 90 * SECOND]);
    expect([collect!.payload.control.startMs - t0, collect!.payload.control.endMs - t0]).toEqual([45 * SECOND, 75 * SECOND]);
  });

  it('a collect that fails three times (Prometheus unreachable) fails the stage and destroys both groups', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    await createGroups(s.h, s.agent, id);
    await s.h.advance(MINUTE + 10 * SECOND);
    const error = 'metric "errors": Prometheus at http://127.0.0.1:9090 cannot be reached (connect ECONNREFUSED 127.0.0.1:9090) for query up';
    for (const waitMs of [10 * SECOND, 20 * SECOND, 0]) {
      const [collect] = await queuedOf(s.h, id, 'collectMetrics');
      await s.agent.fail(collect!, error);
      await s.h.advance(waitMs);
    }
    const collects = (await s.h.tasks(id)).filter((t) => t.operation === 'collectMetrics');
    expect(collects.map((t) => [t.idempotencyKey.split(':canary:')[1], t.status])).toEqual([['collect-1-1', 'FAILED'], ['collect-1-2', 'FAILED'], ['collect-1-3', 'FAILED']]);
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    const stage = await s.h.stage(id, '1');
    expect(stage.status).toBe('TERMINAL');
    expect(stage.error).toMatchObject({ kind: 'transient', message: `collecting metrics for interval 1 failed after 3 attempts: ${error}` });
    expect(stage.outputs).toMatchObject({ score: 0, result: 'Fail', intervalScores: [] });
    expect(await loadReport(s.h.db, stage.outputs.canaryReportId as string)).toMatchObject({ status: 'FAILED', score: null, result: null, completedIntervals: 0 });
  });

  it('malformed metrics from the agent: a clear error naming the path, and the groups are destroyed', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    await createGroups(s.h, s.agent, id);
    await interval(s, id, { errors: { control: { startMs: 0, stepSec: 10, values: [1, 'NaN'] }, experiment: { startMs: 0, stepSec: 10, values: [] } } });
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    const stage = await s.h.stage(id, '1');
    expect(stage.status).toBe('TERMINAL');
    expect(stage.error).toMatchObject({ kind: 'internal' });
    expect((stage.error as { message: string }).message).toMatch(/^interval 1: the agent's metrics are malformed: result\.details\.metrics\.errors\.control\.values\[1\]/);
  });

  it('a create that fails (never healthy) fails the stage and destroys both groups', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    const [baseline, canary] = await queuedOf(s.h, id, 'createServerGroup');
    await s.agent.succeed(baseline!);
    await s.agent.fail(canary!, 'no instance became healthy within 120 s');
    const destroys = await queuedOf(s.h, id, 'destroyServerGroup');
    expect(destroys.map((t) => t.payload.serverGroupName).sort()).toEqual([`${s.prod}-baseline-v000`, `${s.prod}-canary-v000`]);
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    expect((await s.h.stage(id, '1')).error).toMatchObject({ message: `create ${s.prod}-canary-v000 (canary) failed: no instance became healthy within 120 s` });
    expect(await queuedOf(s.h, id, 'collectMetrics')).toEqual([]);
  });

  it('canceled mid-analysis: the collect no agent took is canceled and both destroys are queued', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    await createGroups(s.h, s.agent, id);
    await s.h.advance(MINUTE + 10 * SECOND);
    await s.h.cancel(id);
    expect(await s.h.status(id)).toBe('CANCELED');
    const tasks = await s.h.tasks(id);
    expect(tasks.filter((t) => t.operation === 'collectMetrics').map((t) => t.status)).toEqual(['CANCELED']);
    const destroys = tasks.filter((t) => t.operation === 'destroyServerGroup');
    expect(destroys.map((t) => [t.payload.serverGroupName, t.status]).sort()).toEqual([[`${s.prod}-baseline-v000`, 'QUEUED'], [`${s.prod}-canary-v000`, 'QUEUED']]);
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    const stage = await s.h.stage(id, '1');
    expect(await loadReport(s.h.db, stage.outputs.canaryReportId as string)).toMatchObject({ status: 'CANCELED' });
  });

  it('a repeated start (its commit lost after the creates were queued and one reported) queues nothing twice and keeps the first names', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    const [baseline] = await queuedOf(s.h, id, 'createServerGroup');
    // The group is in inventory now, so planning afresh would pick v001 for it.
    await s.agent.succeed(baseline!, { lost: true });
    await s.h.db.update(stagesTable).set({ status: 'NOT_STARTED', startedAt: null, meta: {}, outputs: {} }).where(eq(stagesTable.id, s.h.stageId(id, '1'))).run();
    await s.h.send({ type: 'startStage', executionId: id, stageId: s.h.stageId(id, '1') });
    expect((await s.h.tasks(id)).map((t) => t.payload.serverGroupName).sort()).toEqual([`${s.prod}-baseline-v000`, `${s.prod}-canary-v000`]);
    await createGroups(s.h, s.agent, id);
    expect((await s.h.stage(id, '1')).outputs).toMatchObject({ baselineServerGroup: `${s.prod}-baseline-v000`, canaryServerGroup: `${s.prod}-canary-v000` });
    await s.h.advance(MINUTE + 10 * SECOND);
    expect((await queuedOf(s.h, id, 'collectMetrics'))[0]!.payload.control.scope).toBe(`${s.prod}-baseline-v000`);
  });
});

describe('canary stage: mistakes in its config are user errors naming the field', () => {
  it.each([
    { rule: 'an unknown config', over: { canaryConfigName: 'nope' }, field: 'canaryConfigName', message: 'has no canary config "nope"' },
    { rule: 'an unknown config version', over: { canaryConfigVersion: 7 }, field: 'canaryConfigVersion', message: 'has no canary config "health" at version 7' },
    {
      rule: 'metrics read from Prometheus, but the config has builtin queries',
      over: { metricsSource: { type: 'prometheus' } },
      field: 'canaryConfigName',
      message: 'canary config "health" metrics[0].query: metric "errors" has a builtin query, but this stage reads metrics from the prometheus source',
    },
  ])('$rule', async ({ over, field, message }) => {
    const s = await canarySetup();
    const id = await startCanary(s, over);
    const stage = await s.h.stage(id, '1');
    expect(stage.status).toBe('TERMINAL');
    expect(stage.error).toMatchObject({ kind: 'user', field });
    expect((stage.error as { message: string }).message).toContain(message);
    expect(stage.outputs).toMatchObject({ score: 0, result: 'Fail' });
    expect(await s.h.tasks(id)).toEqual([]);
  });

  it('a metric without a query', async () => {
    const config = testConfig();
    delete (config.metrics[1] as { query?: unknown }).query;
    const s = await canarySetup(config);
    const id = await startCanary(s);
    expect((await s.h.stage(id, '1')).error).toMatchObject({ kind: 'user', field: 'canaryConfigName', message: expect.stringContaining('metrics[1].query: metric "latency" has no query') });
  });

  it('no enabled production group to take the baseline from, and no baselineArtifact', async () => {
    const s = await canarySetup();
    const id = await startCanary(s, { cluster: `${s.h.app}-empty` });
    expect((await s.h.stage(id, '1')).error).toMatchObject({ kind: 'user', field: 'baselineArtifact' });
  });

  it('an explicit baselineArtifact needs no production group; its load balancer is then the cluster’s own', async () => {
    const s = await canarySetup();
    const cluster = `${s.h.app}-empty`;
    const id = await startCanary(s, { cluster, baselineArtifact: PROD_ARTIFACT });
    const [baseline] = (await queuedOf(s.h, id, 'createServerGroup')).filter((t) => t.payload.moniker.detail === 'baseline');
    expect(baseline!.payload).toMatchObject({ serverGroupName: `${cluster}-baseline-v000`, artifact: PROD_ARTIFACT, loadBalancers: [cluster] });
  });
});
