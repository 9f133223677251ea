/** Pure rules over an execution's stage DAG: what may start, what failure means, how it ends. */
import { isComplete, lets, type ExecutionStatus, type StageState } from './types.ts';

type Node = Pick<StageState, 'refId' | 'status' | 'requisiteStageRefIds' | 'context'>;

/** Stages with no requisites: where an execution begins. */
export function initialStages<T extends Node>(stages: readonly T[]): T[] {
  return stages.filter((s) => s.requisiteStageRefIds.length === 0);
}

/** Stages that list `refId` as a requisite. */
export function downstream<T extends Node>(stages: readonly T[], refId: string): T[] {
  return stages.filter((s) => s.requisiteStageRefIds.includes(refId));
}

/** `refId` and every stage that depends on it, directly or not (what a restart resets). */
export function withAllDownstream<T extends Node>(stages: readonly T[], refId: string): T[] {
  const seen = new Set<string>([refId]);
  const queue = [refId];
  while (queue.length) {
    for (const d of downstream(stages, queue.shift()!)) {
      if (!seen.has(d.refId)) {
        seen.add(d.refId);
        queue.push(d.refId);
      }
    }
  }
  return stages.filter((s) => seen.has(s.refId));
}

/** A NOT_STARTED stage whose requisites all completed in a way that lets it run. */
export function isStartable(stages: readonly Node[], stage: Node): boolean {
  if (stage.status !== 'NOT_STARTED') return false;
  return stage.requisiteStageRefIds.every((r) => {
    const up = stages.find((s) => s.refId === r);
    return up !== undefined && lets(up.status);
  });
}

/** Orca's `Stage.failureStatus`: what a failed stage becomes, by its failure options. */
export function failureStatus(context: Record<string, unknown>): ExecutionStatus {
  if (context.continuePipeline === true) return 'FAILED_CONTINUE';
  if (context.completeOtherBranchesThenFail === true) return 'STOPPED';
  if (context.failPipeline === false) return 'STOPPED';
  return 'TERMINAL';
}

/**
 * A stage status that ends the whole execution at once, canceling other branches. Orca's
 * CompleteStageHandler sends CompleteExecution for TERMINAL and CANCELED alike, and its final
 * status rules end the execution unless the only halt is STOPPED.
 */
export const failsExecutionNow = (status: ExecutionStatus) => status === 'TERMINAL' || status === 'CANCELED';

/** True while some stage runs, waits, or could still start. */
export function hasWorkLeft(stages: readonly Node[]): boolean {
  return stages.some((s) => (!isComplete(s.status) && s.status !== 'NOT_STARTED') || isStartable(stages, s));
}

/** The final status of an execution whose stages have nothing left to do (Orca's rules). */
export function finalStatus(stages: readonly Node[]): ExecutionStatus {
  if (stages.every((s) => lets(s.status))) return 'SUCCEEDED';
  if (stages.some((s) => s.status === 'TERMINAL')) return 'TERMINAL';
  if (stages.some((s) => s.status === 'CANCELED')) return 'CANCELED';
  const stopped = stages.filter((s) => s.status === 'STOPPED');
  if (stopped.some((s) => s.context.completeOtherBranchesThenFail === true)) return 'TERMINAL';
  return 'SUCCEEDED';
}
