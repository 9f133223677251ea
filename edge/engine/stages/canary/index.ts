/**
 * `canary` (Spinnaker's kayentaCanary with the deployments around it): creates a baseline group
 * (production's version) and a canary group (the new one) of equal size in production's load
 * balancers, has the agent collect both groups' metrics at the end of every analysis interval,
 * judges them (Kayenta's judge), and destroys both groups whatever happened. Phases:
 * deploy → analyse (one interval at a time) → cleanup → done. Every step may run twice: tasks are
 * queued under stable keys and the report is written by id.
 */
import type { OperationName } from '../../../../contract/operations.ts';
import { UserError, type StageBehaviour, type StageInput, type StageRuntime, type StageStep } from '../../types.ts';
import { decide, judgeInterval } from './analysis.ts';
import { analysisSchedule } from './schedule.ts';
import { setUp, type Role } from './setup.ts';
import { outputsOf, reportIdOf, runRecord, stateOf, taskKey, type CanaryState, type Ending } from './state.ts';

const POLL_MS = 5_000;
const roles: readonly Role[] = ['baseline', 'canary'];

const running = (st: CanaryState, retryAfterMs: number): StageStep => ({ status: 'RUNNING', retryAfterMs: Math.max(0, retryAfterMs), state: { canary: st }, outputs: outputsOf(st) });

async function enqueue(rt: StageRuntime, what: string, operation: OperationName, payload: Record<string, unknown>): Promise<{ taskId: string; payload: Record<string, unknown> }> {
  return rt.agent.enqueue(operation, payload, taskKey(rt, what));
}

type Outcome = { state: 'pending' } | { state: 'ok'; details: Record<string, unknown> } | { state: 'failed'; error: string };

async function outcomeOf(rt: StageRuntime, taskId: string): Promise<Outcome> {
  const o = await rt.agent.outcome(taskId);
  if (!o) return { state: 'failed', error: 'the task is gone' };
  if (o.status === 'QUEUED' || o.status === 'LEASED') return { state: 'pending' };
  if (o.status === 'SUCCEEDED') return { state: 'ok', details: o.details };
  return { state: 'failed', error: o.status === 'CANCELED' ? 'the task was canceled' : (o.error ?? 'the agent gave no reason') };
}

function end(st: CanaryState, ending: Ending): void {
  st.ending ??= ending;
  st.phase = 'cleanup';
}

/** Both groups are being created (in parallel): the analysis clock starts when both are healthy. */
async function deploy(rt: StageRuntime, st: CanaryState): Promise<StageStep | null> {
  const outcomes = await Promise.all(roles.map((r) => outcomeOf(rt, st.creates[r])));
  if (outcomes.some((o) => o.state === 'pending')) return running(st, POLL_MS);
  roles.forEach((r) => st.done.push({ label: `create ${st.setup[r].name}`, taskId: st.creates[r], serverGroup: st.setup[r].name }));
  const failed = roles.find((_, i) => outcomes[i]!.state === 'failed');
  if (failed) {
    const error = (outcomes[roles.indexOf(failed)] as { error: string }).error;
    const message = `create ${st.setup[failed].name} (${failed}) failed: ${error}`;
    end(st, { status: 'FAILED', reason: message, error: { kind: 'user', message } });
    return null;
  }
  st.t0 = rt.now;
  st.windows = analysisSchedule(st.setup.settings, rt.now);
  st.phase = 'analyse';
  return null;
}

/** Waits for the current interval's window to end, has the agent collect it, judges it, decides. */
async function analyse(rt: StageRuntime, st: CanaryState): Promise<StageStep | null> {
  const { settings, config, thresholds, plannedIntervals, baseline, canary } = st.setup;
  const window = st.windows![st.next - 1]!;
  if (!st.collectTaskId) {
    // One step past the window's end, so the last scrape of the window has been taken.
    const due = window.experiment.endMs + settings.stepSec * 1000;
    if (rt.now < due) return running(st, due - rt.now);
    const queued = await enqueue(rt, `collect-${window.index}`, 'collectMetrics', {
      account: settings.account,
      location: settings.location,
      source: settings.metricsSource,
      stepSec: settings.stepSec,
      metrics: config.metrics.map((m) => ({ name: m.name, query: m.query })),
      control: { scope: baseline.name, location: settings.location, ...window.control },
      experiment: { scope: canary.name, location: settings.location, ...window.experiment },
    });
    st.collectTaskId = queued.taskId;
    return running(st, POLL_MS);
  }
  const o = await outcomeOf(rt, st.collectTaskId);
  if (o.state === 'pending') return running(st, POLL_MS);
  st.done.push({ label: `collect metrics for interval ${window.index}`, taskId: st.collectTaskId });
  delete st.collectTaskId;
  if (o.state === 'failed') {
    const message = `collecting metrics for interval ${window.index} failed: ${o.error}`;
    end(st, { status: 'FAILED', reason: message, error: { kind: 'user', message } });
    return null;
  }
  const judged = judgeInterval(config, thresholds, o.details, window, rt.now);
  if (!judged.ok) {
    end(st, { status: 'FAILED', reason: judged.message, error: { kind: 'internal', message: judged.message } });
    return null;
  }
  st.intervalScores.push(judged.interval.score);
  st.lastResult = judged.interval.result;
  const decision = decide(judged.interval.score, thresholds, window.index, plannedIntervals);
  const reason = decision.kind === 'continue' ? null : decision.reason;
  await rt.canary!.saveInterval(runRecord(rt, st, 'RUNNING', reason), judged.interval);
  if (decision.kind === 'continue') st.next++;
  else if (decision.kind === 'pass') end(st, { status: 'SUCCEEDED', reason: decision.reason });
  else end(st, { status: 'FAILED', reason: decision.reason, error: { kind: 'user', message: `canary failed: ${decision.reason}` } });
  return null;
}

/** Destroys both groups (in parallel), then ends the stage as decided; a failed destroy fails it. */
async function cleanup(rt: StageRuntime, st: CanaryState): Promise<StageStep | null> {
  if (!st.destroys) {
    const ids = await Promise.all(roles.map(async (r) => (await enqueue(rt, `destroy-${r}`, 'destroyServerGroup', destroyPayload(st, r))).taskId));
    st.destroys = { baseline: ids[0]!, canary: ids[1]! };
  }
  const outcomes = await Promise.all(roles.map((r) => outcomeOf(rt, st.destroys![r])));
  if (outcomes.some((o) => o.state === 'pending')) return running(st, POLL_MS);
  roles.forEach((r) => st.done.push({ label: `destroy ${st.setup[r].name}`, taskId: st.destroys![r], serverGroup: st.setup[r].name }));
  const failed = roles.filter((_, i) => outcomes[i]!.state === 'failed').map((r) => `destroy ${st.setup[r].name} failed: ${(outcomes[roles.indexOf(r)] as { error: string }).error}`);
  if (failed.length) {
    const ending = st.ending!;
    const reason = [ending.reason, ...failed].join('; ');
    // Left-over canary groups take production traffic: that fails the stage even after a pass.
    st.ending = { status: 'FAILED', reason, error: ending.error ? { ...ending.error, message: [ending.error.message, ...failed].join('; ') } : { kind: 'user', message: failed.join('; ') } };
  }
  st.phase = 'done';
  await rt.canary!.saveRun(runRecord(rt, st, st.ending!.status, st.ending!.reason));
  return null;
}

const destroyPayload = (st: CanaryState, r: Role) => ({ account: st.setup.settings.account, location: st.setup.settings.location, serverGroupName: st.setup[r].name });

function finished(st: CanaryState): StageStep {
  const e = st.ending!;
  return e.status === 'SUCCEEDED' ? { status: 'SUCCEEDED', outputs: outputsOf(st) } : { status: 'FAILED', error: e.error ?? { kind: 'user', message: e.reason }, outputs: outputsOf(st) };
}

/** Runs phases until one must wait for an agent or the clock. */
async function advance(rt: StageRuntime, st: CanaryState): Promise<StageStep> {
  for (;;) {
    let step: StageStep | null;
    switch (st.phase) {
      case 'deploy':
        step = await deploy(rt, st);
        break;
      case 'analyse':
        step = await analyse(rt, st);
        break;
      case 'cleanup':
        step = await cleanup(rt, st);
        break;
      case 'done':
        return finished(st);
      default: {
        const never: never = st.phase;
        throw new Error(`unknown canary phase ${String(never)}`);
      }
    }
    if (step) return step;
  }
}

/** Outputs for a canary that failed before it deployed anything: closed for promotion rules. */
const notStarted = { score: 0, result: 'Fail', intervalScores: [], canaryReportId: null };

async function start(rt: StageRuntime): Promise<StageStep> {
  let setup;
  try {
    setup = await setUp(rt);
  } catch (err) {
    if (err instanceof UserError) return { status: 'FAILED', error: { kind: 'user', message: err.message, ...(err.field ? { field: err.field } : {}) }, outputs: notStarted };
    throw err;
  }
  const st: CanaryState = {
    reportId: await reportIdOf(rt), createdAt: rt.now, setup, phase: 'deploy',
    creates: { baseline: '', canary: '' }, next: 1, intervalScores: [], lastResult: null, done: [],
  };
  for (const r of roles) {
    const queued = await enqueue(rt, `create-${r}`, 'createServerGroup', setup[r].create);
    // A repeated start (after a crash) finds the task it queued before: that one's group is ours.
    setup[r].create = queued.payload as typeof setup.baseline.create;
    setup[r].name = setup[r].create.serverGroupName;
    st.creates[r] = queued.taskId;
  }
  await rt.canary!.saveRun(runRecord(rt, st, 'RUNNING', null));
  return running(st, POLL_MS);
}

export const canary: StageBehaviour = {
  type: 'canary',
  start,
  async poll(rt) {
    const st = structuredClone(stateOf(rt));
    if (!st) return { status: 'FAILED', error: { kind: 'internal', message: 'canary stage lost its state' } };
    return advance(rt, st);
  },
  async input(rt: StageRuntime, input: StageInput) {
    const st = structuredClone(stateOf(rt));
    if (!st || input.kind !== 'taskCompleted') return null;
    const awaited = [...Object.values(st.creates), ...Object.values(st.destroys ?? {}), st.collectTaskId];
    if (!awaited.includes(input.taskId)) return null;
    return advance(rt, st);
  },
  /**
   * Canceled (or timed out): stop what no agent has started, then queue both destroys. The engine
   * does not wait for them; their keys differ from cleanup's so a destroy canceled just now is queued again.
   */
  async cancel(rt) {
    await rt.agent.cancelQueued();
    const st = stateOf(rt);
    if (!st) return;
    for (const r of roles) await enqueue(rt, `cancel-destroy-${r}`, 'destroyServerGroup', destroyPayload(st, r));
    await rt.canary!.saveRun(runRecord(rt, st, 'CANCELED', `canceled in phase ${st.phase}; destroying ${st.setup.baseline.name} and ${st.setup.canary.name}`));
  },
};
