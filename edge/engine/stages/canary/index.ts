/**
 * `canary` (Spinnaker's kayentaCanary with the deployments around it): creates a baseline group
 * (production's version) and a canary group (the new one) of equal size in production's load
 * balancers, has the agent collect both groups' metrics at the end of every analysis interval,
 * judges them (Kayenta's judge), and destroys both groups whatever happened. Phases:
 * deploy → analyse (one interval at a time) → cleanup → done. Every step may run twice: tasks are
 * queued under stable keys and the report is written by id.
 */
import type { OperationName } from '../../../../contract/operations.ts';
import { maxStageBytes, stageJsonBytes } from '../../steps.ts';
import { UserError, type StageBehaviour, type StageInput, type StageRuntime, type StageStep } from '../../types.ts';
import { decide, judgeInterval } from './analysis.ts';
import { collectKey, collectPayload, collectRetryAt, isUserCollectError } from './collect.ts';
import { analysisWindow } from './schedule.ts';
import { parseSettings, setUp, type Role } from './setup.ts';
import { outputsOf, recordDone, reportIdOf, runRecord, stateOf, taskKey, type CanaryState, type Ending } from './state.ts';

const POLL_MS = 5_000;
/** Beyond warm-up and lifetime, the stage timeout allows this for deploys, retries and cleanup. */
const TIMEOUT_MARGIN_MS = 30 * 60_000;
/** Longest error message kept from a throw or an agent (they land in the state, outputs and report). */
const MAX_MESSAGE_CHARS = 1000;
const roles: readonly Role[] = ['baseline', 'canary'];

const clip = (message: string) => (message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message);

/**
 * The outputs, small enough to store: the engine fails a stage whose context and outputs pass
 * its limit without asking the stage to clean up, so a canary near the limit drops its lists.
 */
function fittedOutputs(rt: StageRuntime, st: CanaryState): Record<string, unknown> {
  const outputs = outputsOf(st);
  if (stageJsonBytes(rt.stage.context, { ...rt.stage.outputs, ...outputs }) <= maxStageBytes) return outputs;
  return { ...outputs, intervalScores: [], tasks: [] };
}

const running = (rt: StageRuntime, st: CanaryState, retryAfterMs: number): StageStep => ({
  status: 'RUNNING', retryAfterMs: Math.max(0, retryAfterMs), state: { canary: st }, outputs: fittedOutputs(rt, st),
});

async function enqueue(rt: StageRuntime, what: string, operation: OperationName, payload: Record<string, unknown>): Promise<{ taskId: string; payload: Record<string, unknown> }> {
  return rt.agent.enqueue(operation, payload, taskKey(rt, what));
}

type Outcome = { state: 'pending' } | { state: 'ok'; details: Record<string, unknown> } | { state: 'failed'; error: string };

async function outcomeOf(rt: StageRuntime, taskId: string): Promise<Outcome> {
  const o = await rt.agent.outcome(taskId);
  if (!o) return { state: 'failed', error: 'the task is gone' };
  if (o.status === 'QUEUED' || o.status === 'LEASED') return { state: 'pending' };
  if (o.status === 'SUCCEEDED') return { state: 'ok', details: o.details };
  return { state: 'failed', error: o.status === 'CANCELED' ? 'the task was canceled' : clip(o.error ?? 'the agent gave no reason') };
}

function end(st: CanaryState, ending: Ending): void {
  st.ending ??= ending;
  st.phase = 'cleanup';
}

/** Both groups are being created (in parallel): the analysis clock starts when both are healthy. */
async function deploy(rt: StageRuntime, st: CanaryState): Promise<StageStep | null> {
  const outcomes = await Promise.all(roles.map((r) => outcomeOf(rt, st.creates[r])));
  if (outcomes.some((o) => o.state === 'pending')) return running(rt, st, POLL_MS);
  roles.forEach((r) => recordDone(st, { label: `create ${st.setup[r].name}`, taskId: st.creates[r], serverGroup: st.setup[r].name }));
  const failed = roles.find((_, i) => outcomes[i]!.state === 'failed');
  if (failed) {
    const error = (outcomes[roles.indexOf(failed)] as { error: string }).error;
    const message = `create ${st.setup[failed].name} (${failed}) failed: ${error}`;
    end(st, { status: 'FAILED', reason: message, error: { kind: 'user', message }, result: 'Fail' });
    return null;
  }
  st.t0 = rt.now;
  st.phase = 'analyse';
  return null;
}

/**
 * Waits for the current interval's window to end, has the agent collect it (retrying a failed
 * collect under a new key), judges it, decides.
 */
async function analyse(rt: StageRuntime, st: CanaryState): Promise<StageStep | null> {
  const { settings, config, thresholds, plannedIntervals } = st.setup;
  const window = analysisWindow(settings, st.t0!, st.next);
  // One step past the window's end, so the last scrape of the window has been taken.
  const dueOf = (w: typeof window) => w.experiment.endMs + settings.stepSec * 1000;
  const attempt = st.collectAttempt ?? 1;
  if (!st.collectTaskId) {
    const due = Math.max(dueOf(window), st.collectRetryAt ?? 0);
    if (rt.now < due) return running(rt, st, due - rt.now);
    const queued = await enqueue(rt, collectKey(window.index, attempt), 'collectMetrics', collectPayload(st.setup, window));
    st.collectTaskId = queued.taskId;
    st.collectAttempt = attempt;
    delete st.collectRetryAt;
    return running(rt, st, POLL_MS);
  }
  const o = await outcomeOf(rt, st.collectTaskId);
  if (o.state === 'pending') return running(rt, st, POLL_MS);
  const label = `collect metrics for interval ${window.index}${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
  recordDone(st, { label, taskId: st.collectTaskId, ...(o.state === 'failed' ? { error: o.error } : {}) });
  delete st.collectTaskId;
  if (o.state === 'failed') {
    const nextDue = window.index < plannedIntervals ? dueOf(analysisWindow(settings, st.t0!, window.index + 1)) : null;
    const retryAt = collectRetryAt(attempt, o.error, rt.now, nextDue);
    if (retryAt !== null) {
      st.collectAttempt = attempt + 1;
      st.collectRetryAt = retryAt;
      return null;
    }
    delete st.collectAttempt;
    const message = `collecting metrics for interval ${window.index} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${o.error}`;
    // A query Prometheus refuses is the config's fault; anything else might have worked later.
    end(st, { status: 'FAILED', reason: message, error: { kind: isUserCollectError(o.error) ? 'user' : 'transient', message }, result: 'Fail' });
    return null;
  }
  delete st.collectAttempt;
  const judged = judgeInterval(config, thresholds, o.details, window, rt.now);
  if (!judged.ok) {
    end(st, { status: 'FAILED', reason: judged.message, error: { kind: 'internal', message: judged.message }, result: 'Fail' });
    return null;
  }
  st.intervalScores.push(judged.interval.score);
  st.lastResult = judged.interval.result;
  const decision = decide(judged.interval.score, thresholds, window.index, plannedIntervals);
  const reason = decision.kind === 'continue' ? null : decision.reason;
  await rt.canary!.saveInterval(runRecord(rt, st, 'RUNNING', reason), judged.interval);
  if (decision.kind === 'continue') st.next++;
  else if (decision.kind === 'pass') end(st, { status: 'SUCCEEDED', reason: decision.reason, result: 'Pass' });
  else end(st, { status: 'FAILED', reason: decision.reason, error: { kind: 'user', message: `canary failed: ${decision.reason}` }, result: judged.interval.result });
  return null;
}

/** Destroys both groups (in parallel), then ends the stage as decided; a failed destroy fails it. */
async function cleanup(rt: StageRuntime, st: CanaryState): Promise<StageStep | null> {
  if (!st.destroys) {
    // After a failure mid-deploy a create may be unfinished: one no agent took is canceled, one an
    // agent is running is waited for, so no group appears after its destroy.
    await rt.agent.cancelQueued();
    const creates = await Promise.all(roles.map((r) => outcomeOf(rt, st.creates[r])));
    if (creates.some((o) => o.state === 'pending')) return running(rt, st, POLL_MS);
    const ids = await Promise.all(roles.map(async (r) => (await enqueue(rt, `destroy-${r}`, 'destroyServerGroup', destroyPayload(st, r))).taskId));
    st.destroys = { baseline: ids[0]!, canary: ids[1]! };
  }
  const outcomes = await Promise.all(roles.map((r) => outcomeOf(rt, st.destroys![r])));
  if (outcomes.some((o) => o.state === 'pending')) return running(rt, st, POLL_MS);
  roles.forEach((r) => recordDone(st, { label: `destroy ${st.setup[r].name}`, taskId: st.destroys![r], serverGroup: st.setup[r].name }));
  const failed = roles.filter((_, i) => outcomes[i]!.state === 'failed').map((r) => `destroy ${st.setup[r].name} failed: ${(outcomes[roles.indexOf(r)] as { error: string }).error}`);
  if (failed.length) {
    const ending = st.ending!;
    const reason = [ending.reason, ...failed].join('; ');
    // Left-over canary groups take production traffic: that fails the stage even after a pass.
    st.ending = { ...ending, status: 'FAILED', reason, error: ending.error ? { ...ending.error, message: [ending.error.message, ...failed].join('; ') } : { kind: 'user', message: failed.join('; ') } };
  }
  st.phase = 'done';
  return null;
}

const destroyPayload = (st: CanaryState, r: Role) => ({ account: st.setup.settings.account, location: st.setup.settings.location, serverGroupName: st.setup[r].name });

/** Writes the report's final row (safe to repeat), then ends the stage as decided. */
async function finish(rt: StageRuntime, st: CanaryState): Promise<StageStep> {
  const e = st.ending!;
  await rt.canary!.saveRun(runRecord(rt, st, e.status, e.reason));
  const outputs = fittedOutputs(rt, st);
  return e.status === 'SUCCEEDED' ? { status: 'SUCCEEDED', outputs } : { status: 'FAILED', error: e.error ?? { kind: 'user', message: e.reason }, outputs };
}

/** One phase's step; null when the next phase (or the same one) can go on at once. */
async function step(rt: StageRuntime, st: CanaryState): Promise<StageStep | null> {
  switch (st.phase) {
    case 'deploy':
      return deploy(rt, st);
    case 'analyse':
      return analyse(rt, st);
    case 'cleanup':
      return cleanup(rt, st);
    case 'done':
      return finish(rt, st);
    default: {
      const never: never = st.phase;
      throw new Error(`unknown canary phase ${String(never)}`);
    }
  }
}

/**
 * Runs phases until one must wait for an agent or the clock. A throw (a D1 hiccup while queueing
 * or saving, say) must not end the stage with its groups still in production's load balancers,
 * as the engine's own catch would: before cleanup it ends the canary as an internal failure and
 * cleanup destroys both groups; in cleanup (or writing the report) the step is tried again at the
 * next poll, and the stage's timeout bounds that (its cancel queues the destroys once more).
 */
async function advance(rt: StageRuntime, st: CanaryState): Promise<StageStep> {
  for (;;) {
    let next: StageStep | null;
    try {
      next = await step(rt, st);
    } catch (err) {
      const message = clip(`canary ${st.phase} failed: ${(err as Error).message}`);
      if (st.phase === 'cleanup' || st.phase === 'done') return running(rt, st, POLL_MS);
      // What the step did before the throw stays in the state (tasks queued, a score judged).
      end(st, { status: 'FAILED', reason: message, error: { kind: err instanceof UserError ? 'user' : 'internal', message }, result: 'Fail' });
      continue;
    }
    if (next) return next;
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
  try {
    for (const r of roles) {
      const queued = await enqueue(rt, `create-${r}`, 'createServerGroup', setup[r].create);
      // A repeated start (after a crash) finds the task it queued before: that one's group is ours.
      setup[r].create = queued.payload as typeof setup.baseline.create;
      setup[r].name = setup[r].create.serverGroupName;
      st.creates[r] = queued.taskId;
    }
    await rt.canary!.saveRun(runRecord(rt, st, 'RUNNING', null));
  } catch (err) {
    // Nothing queued yet: nothing to clean up, and the engine reports the error as it is.
    if (!st.creates.baseline) throw err;
    const message = clip(`canary deploy failed: ${(err as Error).message}`);
    end(st, { status: 'FAILED', reason: message, error: { kind: err instanceof UserError ? 'user' : 'internal', message }, result: 'Fail' });
    return advance(rt, st);
  }
  return running(rt, st, POLL_MS);
}

/**
 * Long enough for the whole canary (deploy with its health checks, warm-up, lifetime, the
 * baseline's offset) and a margin for retries and cleanup, so a canary stuck anywhere times out
 * and its cancel destroys both groups. Undefined for a context start will refuse anyway.
 */
export function canaryTimeoutMs(context: Record<string, unknown>): number | undefined {
  let s;
  try {
    s = parseSettings(context);
  } catch {
    return undefined;
  }
  const minutes = s.beginCanaryAnalysisAfterMins + s.lifetimeMins + s.baselineAnalysisOffsetInMins;
  return Math.round(minutes * 60_000) + (s.healthCheckTimeoutSec ?? 120) * 1000 + TIMEOUT_MARGIN_MS;
}

export const canary: StageBehaviour = {
  type: 'canary',
  defaultTimeoutFor: canaryTimeoutMs,
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
