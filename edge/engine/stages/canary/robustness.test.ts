/**
 * The canary stage when things go wrong around it: D1 failing mid-step, a canary that never gets
 * healthy, collects that fail, long schedules. Whatever happens, both groups leave production's
 * load balancer and the stage's outputs stay small.
 */
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { MINUTE, SECOND } from '../../test/harness.ts';
import {
  answerCollect, canaryGroups, canarySetup, canaryStage, createGroups, metrics, queuedOf,
} from './test-support.ts';

type Setup = Awaited<ReturnType<typeof canarySetup>>;

async function startCanary(s: Setup, over: Record<string, unknown> = {}) {
  const p = await s.h.pipeline({ name: 'canary', stages: [canaryStage(s.agent, s.prod, over)] });
  const id = await s.h.start(p);
  await s.h.run();
  return id;
}

/** Triggers made by a test, dropped after it (the test files share one D1). */
const triggers: string[] = [];
afterEach(async () => {
  for (const name of triggers.splice(0)) await env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}`).run();
});

/** Makes D1 refuse inserts into `table` that match `when` (SQL over NEW), as a failing D1 would. */
async function failInserts(table: string, when: string): Promise<void> {
  const name = `fail_${table}_${triggers.length}_${Date.now()}`;
  triggers.push(name);
  await env.DB.prepare(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} WHEN ${when} BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END`).run();
}

/** The stage key's part after `:canary:` (`collect-1-2`). */
const keyOf = (t: { idempotencyKey: string }) => t.idempotencyKey.split(':canary:')[1];

describe('canary stage: a throw mid-step still destroys both groups', () => {
  it('saving an interval fails (D1): the stage fails as internal, through cleanup', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    await createGroups(s.h, s.agent, id);
    const reportId = (await s.h.stage(id, '1')).outputs.canaryReportId as string;
    await failInserts('canary_intervals', `NEW.run_id = '${reportId}'`);
    await s.h.advance(MINUTE + 10 * SECOND);
    await answerCollect(s.h, s.agent, id, { metrics: metrics() });
    expect((await queuedOf(s.h, id, 'destroyServerGroup')).map((t) => keyOf(t))).toEqual(['destroy-baseline', 'destroy-canary']);
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    const stage = await s.h.stage(id, '1');
    expect(stage.status).toBe('TERMINAL');
    expect(stage.error).toMatchObject({ kind: 'internal', message: expect.stringMatching(/^canary analyse failed: .*injected D1 failure/) });
    expect(stage.outputs).toMatchObject({ result: 'Fail' });
  });

  it('queueing a collect fails (D1): the stage fails as internal and destroys both groups', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    await createGroups(s.h, s.agent, id);
    await failInserts('tasks', `NEW.execution_id = '${id}' AND NEW.operation = 'collectMetrics'`);
    await s.h.advance(MINUTE + 10 * SECOND);
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    expect(await s.h.status(id)).toBe('TERMINAL');
    expect((await s.h.stage(id, '1')).error).toMatchObject({ kind: 'internal', message: expect.stringContaining('injected D1 failure') });
  });

  it('queueing the second create fails: the first is canceled before it runs, and both destroys are queued', async () => {
    const s = await canarySetup();
    await failInserts('tasks', `NEW.idempotency_key LIKE '%:canary:create-canary'`);
    const id = await startCanary(s);
    const tasks = await s.h.tasks(id);
    expect(tasks.map((t) => [keyOf(t), t.status])).toEqual([['create-baseline', 'CANCELED'], ['destroy-baseline', 'QUEUED'], ['destroy-canary', 'QUEUED']]);
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    expect(await s.h.status(id)).toBe('TERMINAL');
    expect((await s.h.stage(id, '1')).error).toMatchObject({ kind: 'internal', message: expect.stringContaining('canary deploy failed') });
  });

  it('saving the final report fails once: the stage stays running and finishes at the next poll', async () => {
    const s = await canarySetup();
    const id = await startCanary(s, { lifetimeMins: 1 });
    await createGroups(s.h, s.agent, id);
    await s.h.advance(MINUTE + 10 * SECOND);
    await answerCollect(s.h, s.agent, id, { metrics: metrics() });
    // The run row exists, so the final save is an update: fail updates of this run meanwhile.
    const reportId = (await s.h.stage(id, '1')).outputs.canaryReportId as string;
    const name = `fail_runs_${Date.now()}`;
    triggers.push(name);
    await env.DB.prepare(`CREATE TRIGGER ${name} BEFORE UPDATE ON canary_runs WHEN NEW.id = '${reportId}' AND NEW.status <> 'RUNNING' BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END`).run();
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    expect(await s.h.status(id)).toBe('RUNNING');
    await env.DB.prepare(`DROP TRIGGER ${name}`).run();
    await s.h.advance(5 * SECOND);
    expect(await s.h.status(id)).toBe('SUCCEEDED');
    expect((await s.h.stage(id, '1')).outputs).toMatchObject({ result: 'Pass', taskCount: 5 });
  });
});

describe('canary stage: timeout', () => {
  it('defaults to warm-up + lifetime + offset + health-check time + 30 min; a stuck canary times out and queues both destroys', async () => {
    const s = await canarySetup();
    // 1 + 3 + 2 minutes, 60 s health check, 30 min margin: 37 min.
    const id = await startCanary(s, { beginCanaryAnalysisAfterMins: 1, baselineAnalysisOffsetInMins: 2, healthCheckTimeoutSec: 60 });
    // Stuck for good: its polls are lost too (and the test need not run 400 of them).
    s.h.lose = (m) => m.type === 'runStage';
    await s.h.advance(37 * MINUTE - SECOND);
    expect(await s.h.status(id)).toBe('RUNNING');
    expect(await queuedOf(s.h, id, 'destroyServerGroup')).toEqual([]);
    await s.h.advance(SECOND);
    const stage = await s.h.stage(id, '1');
    expect(stage.status).toBe('TERMINAL');
    expect(stage.error).toMatchObject({ message: 'stage timed out after 2220 s' });
    expect(stage.outputs).toMatchObject({ timedOut: true, result: null });
    const tasks = await s.h.tasks(id);
    expect(tasks.map((t) => [keyOf(t), t.status])).toEqual([
      ['create-baseline', 'CANCELED'], ['create-canary', 'CANCELED'], ['cancel-destroy-baseline', 'QUEUED'], ['cancel-destroy-canary', 'QUEUED'],
    ]);
  });

  it('a stageTimeoutMs of its own still wins', async () => {
    const s = await canarySetup();
    const id = await startCanary(s, { stageTimeoutMs: 2 * MINUTE });
    await s.h.advance(2 * MINUTE);
    expect((await s.h.stage(id, '1')).error).toMatchObject({ message: 'stage timed out after 120 s' });
  });
});

describe('canary stage: collect retries', () => {
  it('a failed collect is retried after 10 s under a new key; the interval is judged from the retry', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    await createGroups(s.h, s.agent, id);
    await s.h.advance(MINUTE + 10 * SECOND);
    const [first] = await queuedOf(s.h, id, 'collectMetrics');
    await s.agent.fail(first!, 'metric "errors": Prometheus at http://p:9090 answered HTTP 503 with no JSON (busy) for query up');
    await s.h.advance(10 * SECOND - 1);
    expect(await queuedOf(s.h, id, 'collectMetrics')).toEqual([]);
    await s.h.advance(1);
    const [second] = await queuedOf(s.h, id, 'collectMetrics');
    expect(keyOf(second!)).toBe('collect-1-2');
    expect(second!.payload.experiment).toEqual(first!.payload.experiment);
    await answerCollect(s.h, s.agent, id, { metrics: metrics() });
    const stage = await s.h.stage(id, '1');
    expect(stage.status).toBe('RUNNING');
    expect(stage.outputs).toMatchObject({ intervalScores: [100], result: null });
    expect((stage.outputs.tasks as { label: string; error?: string }[]).slice(2)).toEqual([
      { label: 'collect metrics for interval 1', taskId: first!.id, error: expect.stringContaining('HTTP 503') },
      { label: 'collect metrics for interval 1 (attempt 2)', taskId: second!.id },
    ]);
    // The next interval starts again at attempt 1.
    await s.h.advance(MINUTE);
    expect((await queuedOf(s.h, id, 'collectMetrics')).map(keyOf)).toEqual(['collect-2-1']);
  });

  it('a query Prometheus refuses (HTTP 400, bad_data) fails at once as a user error', async () => {
    const s = await canarySetup();
    const id = await startCanary(s);
    await createGroups(s.h, s.agent, id);
    await s.h.advance(MINUTE + 10 * SECOND);
    const [collect] = await queuedOf(s.h, id, 'collectMetrics');
    const error = 'metric "errors": Prometheus at http://p:9090 refused query sum(rate(x[1m]): bad_data: 1:18: parse error: unclosed left parenthesis';
    await s.agent.fail(collect!, error);
    expect((await s.h.tasks(id)).filter((t) => t.operation === 'collectMetrics')).toHaveLength(1);
    await s.agent.work(id);
    expect(canaryGroups(s.agent)).toEqual([]);
    expect((await s.h.stage(id, '1')).error).toEqual({ kind: 'user', message: `collecting metrics for interval 1 failed: ${error}` });
  });

  it('no retry that would start after the next interval is due', async () => {
    const s = await canarySetup();
    // 6-second intervals: interval 1 is collected at 16 s, a retry 10 s later would start after interval 2 is due (22 s).
    const id = await startCanary(s, { lifetimeMins: 0.3, analysisIntervalMins: 0.1 });
    await createGroups(s.h, s.agent, id);
    await s.h.advance(16 * SECOND);
    const [collect] = await queuedOf(s.h, id, 'collectMetrics');
    await s.agent.fail(collect!, 'the agent restarted');
    await s.agent.work(id);
    expect((await s.h.tasks(id)).filter((t) => t.operation === 'collectMetrics')).toHaveLength(1);
    expect((await s.h.stage(id, '1')).error).toEqual({ kind: 'transient', message: 'collecting metrics for interval 1 failed: the agent restarted' });
  });
});

describe('canary stage: bounded schedule and outputs', () => {
  it('an interval longer than the lifetime is the lifetime: one analysis when the lifetime ends', async () => {
    const s = await canarySetup();
    const id = await startCanary(s, { lifetimeMins: 1, analysisIntervalMins: 5 });
    await createGroups(s.h, s.agent, id);
    const t0 = s.h.now;
    await s.h.advance(MINUTE + 10 * SECOND);
    const [collect] = await queuedOf(s.h, id, 'collectMetrics');
    expect(collect!.payload.experiment.endMs - t0).toBe(MINUTE);
  });

  it('thirty intervals: the state keeps no window list; outputs keep every score but only the last 20 tasks', async () => {
    const s = await canarySetup();
    const id = await startCanary(s, { lifetimeMins: 30, analysisIntervalMins: 1 });
    await createGroups(s.h, s.agent, id);
    for (let i = 1; i <= 30; i++) {
      await s.h.advance(MINUTE + (i === 1 ? 10 * SECOND : 0));
      if (i < 30) expect((await s.h.stage(id, '1')).outputs.result).toBeNull();
      await answerCollect(s.h, s.agent, id, { metrics: metrics() });
    }
    const running = await s.h.stage(id, '1');
    const state = (running.meta as { state: { canary: Record<string, unknown> } }).state.canary;
    expect(state).not.toHaveProperty('windows');
    expect(state.done).toHaveLength(20);
    await s.agent.work(id);
    const stage = await s.h.stage(id, '1');
    expect(stage.status).toBe('SUCCEEDED');
    expect(stage.outputs.intervalScores).toHaveLength(30);
    expect(stage.outputs.taskCount).toBe(34);
    const labels = (stage.outputs.tasks as { label: string }[]).map((t) => t.label);
    expect(labels).toHaveLength(20);
    expect(labels.slice(-3)).toEqual(['collect metrics for interval 30', `destroy ${s.prod}-baseline-v000`, `destroy ${s.prod}-canary-v000`]);
  });
});
