/**
 * A canary stage run's private state (kept in the stage's meta between polls), and what it shows:
 * the stage outputs later stages read and the report's summary row.
 */
import type { CanaryRunStatus } from '../../../../contract/canary-reports.ts';
import type { Verdict } from '../../../canary/types.ts';
import type { StageError, StageRuntime } from '../../types.ts';
import type { CanaryRunRecord } from './port.ts';
import type { CanarySetup, Role } from './setup.ts';

export type Phase = 'deploy' | 'analyse' | 'cleanup' | 'done';

/** How the canary ended, decided before its groups are destroyed. */
export interface Ending {
  status: 'SUCCEEDED' | 'FAILED';
  reason: string;
  error?: StageError;
  /** The analysis's verdict: the deciding interval's, or Fail when no interval decided it. */
  result: Verdict;
}

/** Finished tasks the state and outputs keep: a week of small intervals would make thousands. */
export const KEPT_TASKS = 20;

export interface DoneTask {
  label: string;
  taskId: string;
  serverGroup?: string;
  /** Why the task failed, when it did (a collect attempt that will be retried, say). */
  error?: string;
}

export interface CanaryState {
  reportId: string;
  createdAt: number;
  setup: CanarySetup;
  phase: Phase;
  /** Task ids of the creates, then of the destroys. */
  creates: Record<Role, string>;
  destroys?: Record<Role, string>;
  /** When both groups were healthy: the analysis clock starts here (windows follow from it, `schedule.ts`). */
  t0?: number;
  /** The 1-based interval to analyse next. */
  next: number;
  collectTaskId?: string;
  /** The current interval's collect attempt (1-based); a failed one is queued again under a new key. */
  collectAttempt?: number;
  /** When the next attempt may be queued (backoff after a failed one). */
  collectRetryAt?: number;
  intervalScores: number[];
  lastResult: Verdict | null;
  ending?: Ending;
  /** The last {@link KEPT_TASKS} finished tasks, for the execution page (as plans list theirs). */
  done: DoneTask[];
  /** Every task finished so far, kept or not. */
  doneCount?: number;
}

/** Records a finished task, keeping only the last {@link KEPT_TASKS}. */
export function recordDone(st: CanaryState, task: DoneTask): void {
  st.done.push(task);
  if (st.done.length > KEPT_TASKS) st.done.splice(0, st.done.length - KEPT_TASKS);
  st.doneCount = (st.doneCount ?? st.done.length - 1) + 1;
}

export const stateOf = (rt: StageRuntime): CanaryState | undefined => rt.stage.meta.state?.canary as CanaryState | undefined;

/** Idempotency key of one of this stage run's tasks: a repeated start or poll queues nothing twice. */
export const taskKey = (rt: StageRuntime, what: string) => `${rt.stage.id}:${rt.stage.meta.restartedAt ?? 0}:canary:${what}`;

/** A stable report id for this stage run, so a repeated start writes the same report. */
export async function reportIdOf(rt: StageRuntime): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(taskKey(rt, 'report'))));
  const hex = [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * What later stages read, on success and failure alike (`stage('Canary').outputs.result`). The
 * result is null until the canary is decided: a parallel branch must not read an early interval's
 * Pass (or a placeholder Fail) as the verdict. Before any interval was judged the score is 0.
 * Bounded: at most MAX_CANARY_INTERVALS (1000) scores and the last {@link KEPT_TASKS} tasks.
 */
export function outputsOf(st: CanaryState): Record<string, unknown> {
  return {
    score: st.intervalScores.at(-1) ?? 0,
    // An ending recorded before endings carried their verdict (a run older than this code) falls back to the last interval's.
    result: st.ending ? (st.ending.result ?? st.lastResult ?? 'Fail') : null,
    canaryReportId: st.reportId,
    intervalScores: st.intervalScores,
    baselineServerGroup: st.setup.baseline.name,
    canaryServerGroup: st.setup.canary.name,
    tasks: st.done,
    taskCount: st.doneCount ?? st.done.length,
  };
}

/** The report's summary row as the state now stands. */
export function runRecord(rt: StageRuntime, st: CanaryState, status: CanaryRunStatus, reason: string | null): CanaryRunRecord {
  const { settings, config, configVersion, thresholds, plannedIntervals, baseline, canary } = st.setup;
  const scope = (g: typeof baseline) => ({ serverGroup: g.name, account: settings.account, location: settings.location, version: g.version });
  return {
    id: st.reportId,
    application: rt.execution.application,
    executionId: rt.execution.id,
    stageId: rt.stage.id,
    stageName: rt.stage.name,
    configName: settings.canaryConfigName,
    configVersion,
    config: config as Record<string, unknown>,
    status,
    score: st.intervalScores.at(-1) ?? null,
    result: st.lastResult,
    thresholds,
    control: scope(baseline),
    experiment: scope(canary),
    metricsSource: settings.metricsSource.type,
    plannedIntervals,
    completedIntervals: st.intervalScores.length,
    reason,
    createdAt: st.createdAt,
    updatedAt: rt.now,
  };
}
