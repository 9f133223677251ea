/**
 * A canary stage run's private state (kept in the stage's meta between polls), and what it shows:
 * the stage outputs later stages read and the report's summary row.
 */
import type { CanaryRunStatus } from '../../../../contract/canary-reports.ts';
import type { Verdict } from '../../../canary/types.ts';
import type { StageError, StageRuntime } from '../../types.ts';
import type { CanaryRunRecord } from './port.ts';
import type { AnalysisWindow } from './schedule.ts';
import type { CanarySetup, Role } from './setup.ts';

export type Phase = 'deploy' | 'analyse' | 'cleanup' | 'done';

/** How the canary ended, decided before its groups are destroyed. */
export interface Ending {
  status: 'SUCCEEDED' | 'FAILED';
  reason: string;
  error?: StageError;
}

export interface CanaryState {
  reportId: string;
  createdAt: number;
  setup: CanarySetup;
  phase: Phase;
  /** Task ids of the creates, then of the destroys. */
  creates: Record<Role, string>;
  destroys?: Record<Role, string>;
  /** When both groups were healthy: the analysis clock starts here. */
  t0?: number;
  windows?: AnalysisWindow[];
  /** The 1-based interval to analyse next. */
  next: number;
  collectTaskId?: string;
  intervalScores: number[];
  lastResult: Verdict | null;
  ending?: Ending;
  /** Finished tasks, for the execution page (as plans list theirs). */
  done: { label: string; taskId: string; serverGroup?: string }[];
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
 * What later stages read, on success and failure alike (`stage('Canary').outputs.result`). Before
 * any interval was judged the score is 0 and the result Fail, so a promotion rule stays closed.
 */
export function outputsOf(st: CanaryState): Record<string, unknown> {
  return {
    score: st.intervalScores.at(-1) ?? 0,
    result: st.lastResult ?? 'Fail',
    canaryReportId: st.reportId,
    intervalScores: st.intervalScores,
    baselineServerGroup: st.setup.baseline.name,
    canaryServerGroup: st.setup.canary.name,
    tasks: st.done,
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
