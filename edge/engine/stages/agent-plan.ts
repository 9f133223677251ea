/**
 * Agent-run stages are plans: a list of operations for agents (create, disable, destroy, …) and
 * delays, carried out one at a time. Each operation is queued once per stage run (its
 * idempotency key is stage + run + step), traffic guards are checked at the edge just before a
 * guarded step is queued, and the stage waits for the agent's completion (with a slow poll of the
 * task in case the notice is lost). A step may carry the steps that undo it (`onFailure`).
 */
import type { OperationName, ServerGroupSnapshot } from '../../../contract/operations.ts';
import { checkGuard, type GuardOperation } from '../../clusters/traffic-guards.ts';
import type { ServerGroupState } from '../../clusters/types.ts';
import type { StageError, StageInput, StageRuntime, StageStep } from '../types.ts';

export type PlanStep =
  | {
      kind: 'op';
      label: string;
      operation: OperationName;
      payload: Record<string, unknown>;
      guard?: { account: string; location: string; cluster: string; operation: GuardOperation };
      /**
       * What puts traffic back if this step fails (its task fails or its guard refuses it): run in
       * place of the rest of the plan, then the stage fails with this step's error (Orca's
       * `rollback.onFailure`).
       */
      onFailure?: PlanStep[];
    }
  | { kind: 'delay'; label: string; seconds: number };

export interface PlanState {
  steps: PlanStep[];
  cursor: number;
  taskId?: string;
  delayUntil?: number;
  /**
   * What completed steps reported, by {@link snapshotKey}: fresher than inventory. null: the step
   * destroyed the group (a destroy reports no group, and inventory still lists it until the next report).
   */
  snapshots: Record<string, ServerGroupSnapshot | null>;
  done: { label: string; taskId?: string; serverGroup?: string }[];
  /** The error the plan failed with, kept while the failed step's `onFailure` steps run. */
  failure?: StageError;
}

const POLL_MS = 5_000;

export const planOf = (rt: StageRuntime): PlanState | undefined => rt.stage.meta.state?.plan as PlanState | undefined;

/** Where a snapshot belongs: a group name is unique only within one account and location. */
export const snapshotKey = (account: string, location: string, name: string) => JSON.stringify([account, location, name]);

/** The cluster as inventory has it, with what this plan's steps reported about it laid over it. */
export function overlay(groups: ServerGroupState[], snapshots: PlanState['snapshots'], where: { account: string; location: string; cluster: string }): ServerGroupState[] {
  const byName = new Map(groups.map((g) => [g.name, g]));
  for (const [key, s] of Object.entries(snapshots)) {
    const [account, location, name] = JSON.parse(key) as [string, string, string];
    // Other clusters, accounts and locations of a multi-cluster deploy are not this cluster's traffic.
    if (account !== where.account || location !== where.location) continue;
    if (s === null) byName.delete(name);
    else if (s.moniker.cluster === where.cluster) {
      byName.set(s.name, { name: s.name, sequence: s.moniker.sequence, disabled: s.disabled, capacity: s.capacity, createdAt: s.createdAt, instances: s.instances.map((i) => ({ name: i.name, health: i.health })), moniker: s.moniker });
    }
  }
  return [...byName.values()].sort((a, b) => b.createdAt - a.createdAt);
}

function outputsOf(state: PlanState) {
  return { tasks: state.done, deployedServerGroups: state.done.filter((d) => d.label.startsWith('create ')).map((d) => d.serverGroup) };
}

/** Starts or continues a plan until it must wait for an agent or a delay, or is finished. */
export async function advance(rt: StageRuntime, state: PlanState): Promise<StageStep> {
  for (;;) {
    const step = state.steps[state.cursor];
    if (!step) return state.failure ? { status: 'FAILED', outputs: outputsOf(state), error: state.failure } : { status: 'SUCCEEDED', outputs: outputsOf(state) };
    if (step.kind === 'delay') {
      state.delayUntil ??= rt.now + step.seconds * 1000;
      if (state.delayUntil > rt.now) return { status: 'RUNNING', retryAfterMs: state.delayUntil - rt.now, state: { plan: state }, outputs: outputsOf(state) };
      state.done.push({ label: step.label });
      state.cursor++;
      delete state.delayUntil;
      continue;
    }
    if (step.guard) {
      const g = step.guard;
      const cluster = overlay(await rt.inventory.cluster(g.account, g.location, g.cluster), state.snapshots, g);
      const verdict = checkGuard({ guards: await rt.inventory.trafficGuards(), cluster, operation: g.operation, target: { account: g.account, location: g.location } });
      if (!verdict.ok) return fail(rt, state, { kind: 'user', message: verdict.message });
    }
    const key = `${rt.stage.id}:${rt.stage.meta.restartedAt ?? 0}:${state.cursor}`;
    const queued = await rt.agent.enqueue(step.operation, step.payload, key);
    // A repeated start (after a crash) finds the task it queued before: keep that one's payload.
    step.payload = queued.payload;
    state.taskId = queued.taskId;
    return { status: 'RUNNING', retryAfterMs: POLL_MS, state: { plan: state }, outputs: outputsOf(state) };
  }
}

/**
 * Fails the plan at its current step. A step with `onFailure` steps has them carried out first,
 * in place of the steps after it; their keys are free, as the plan never queued past this step.
 * A step failing while they run ends the plan at once, with both errors.
 */
async function fail(rt: StageRuntime, state: PlanState, error: StageError): Promise<StageStep> {
  if (state.failure) return { status: 'FAILED', outputs: outputsOf(state), error: { ...state.failure, message: `${state.failure.message}; rolling back, ${error.message}` } };
  const step = state.steps[state.cursor];
  const undo = step?.kind === 'op' ? step.onFailure : undefined;
  if (!undo?.length) return { status: 'FAILED', outputs: outputsOf(state), error };
  state.failure = error;
  state.steps = [...state.steps.slice(0, state.cursor + 1), ...undo];
  state.cursor++;
  delete state.taskId;
  return advance(rt, state);
}

/** Records a finished task and moves on, or fails the plan with the agent's error (see {@link fail}). */
async function settle(rt: StageRuntime, state: PlanState, ok: boolean, serverGroup: ServerGroupSnapshot | null, error: string | null): Promise<StageStep> {
  const step = state.steps[state.cursor];
  if (!step || step.kind !== 'op') return { status: 'FAILED', error: { kind: 'internal', message: 'plan out of step with its tasks' } };
  if (!ok) return fail(rt, state, { kind: 'user', message: `${step.label} failed: ${error ?? 'the agent gave no reason'}` });
  const target = step.payload as { account: string; location: string; serverGroupName: string };
  if (serverGroup) state.snapshots[snapshotKey(target.account, serverGroup.location, serverGroup.name)] = serverGroup;
  else if (step.operation === 'destroyServerGroup') state.snapshots[snapshotKey(target.account, target.location, target.serverGroupName)] = null;
  state.done.push({ label: step.label, taskId: state.taskId!, serverGroup: (step.payload.serverGroupName as string | undefined) ?? serverGroup?.name });
  state.cursor++;
  delete state.taskId;
  return advance(rt, state);
}

/** Builds the shared behaviour methods for a stage type whose `start` makes a plan. */
export function planBehaviour(makePlan: (rt: StageRuntime) => Promise<PlanStep[] | StageStep>) {
  return {
    async start(rt: StageRuntime): Promise<StageStep> {
      const made = await makePlan(rt);
      if (!Array.isArray(made)) return made;
      return advance(rt, { steps: made, cursor: 0, snapshots: {}, done: [] });
    },
    async poll(rt: StageRuntime): Promise<StageStep> {
      const state = structuredClone(planOf(rt));
      if (!state) return { status: 'FAILED', error: { kind: 'internal', message: 'stage lost its plan' } };
      if (!state.taskId) return advance(rt, state);
      const outcome = await rt.agent.outcome(state.taskId);
      if (!outcome || outcome.status === 'QUEUED' || outcome.status === 'LEASED') return { status: 'RUNNING', retryAfterMs: POLL_MS };
      if (outcome.status === 'CANCELED') return { status: 'CANCELED' };
      return settle(rt, state, outcome.status === 'SUCCEEDED', outcome.serverGroup, outcome.error);
    },
    async input(rt: StageRuntime, input: StageInput): Promise<StageStep | null> {
      const state = structuredClone(planOf(rt));
      if (input.kind !== 'taskCompleted' || !state || input.taskId !== state.taskId) return null;
      const result = input.result as { serverGroup?: ServerGroupSnapshot | null; details?: { error?: string } };
      return settle(rt, state, input.ok, result.serverGroup ?? null, result.details?.error ?? null);
    },
    async cancel(rt: StageRuntime): Promise<void> {
      await rt.agent.cancelQueued();
    },
  };
}
