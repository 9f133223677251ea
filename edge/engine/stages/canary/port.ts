/**
 * What the canary stage reads and writes beyond its execution: the application's stored canary
 * configs and its report (one run, one row per analysis interval). D1 in `report-store.ts`.
 */
import type { CanaryRunStatus } from '../../../../contract/canary-reports.ts';
import type { CollectedMetrics, MetricSourceType } from '../../../../contract/canary.ts';
import type { JudgeResult, Verdict } from '../../../canary/types.ts';

export interface StoredCanaryConfig {
  id: string;
  name: string;
  version: number;
  config: Record<string, unknown>;
}

/** A baseline (control) or canary (experiment) group as the report names it. */
export interface CanaryScopeRecord {
  serverGroup: string;
  account: string;
  location: string;
  version: string | null;
}

/** A canary run's summary row; times are epoch ms. */
export interface CanaryRunRecord {
  id: string;
  application: string;
  executionId: string | null;
  stageId: string | null;
  stageName: string | null;
  configName: string;
  configVersion: number | null;
  config: Record<string, unknown>;
  status: CanaryRunStatus;
  score: number | null;
  result: Verdict | null;
  thresholds: { pass: number; marginal: number };
  control: CanaryScopeRecord;
  experiment: CanaryScopeRecord;
  metricsSource: MetricSourceType;
  plannedIntervals: number;
  completedIntervals: number;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
}

/** One judged interval; times are epoch ms. */
export interface CanaryIntervalRecord {
  index: number;
  experimentStartMs: number;
  experimentEndMs: number;
  controlStartMs: number;
  controlEndMs: number;
  judgedAt: number;
  score: number;
  result: Verdict;
  judge: JudgeResult;
  series: CollectedMetrics;
}

export interface CanaryPort {
  /** The application's canary config by name: its newest version, or `version`; null when there is none. */
  loadConfig(application: string, name: string, version?: number): Promise<StoredCanaryConfig | null>;
  /** Writes the run's summary (insert or replace; its creation time is kept). Safe to repeat. */
  saveRun(run: CanaryRunRecord): Promise<void>;
  /** Writes one interval and the run's summary after it, together. Safe to repeat. */
  saveInterval(run: CanaryRunRecord, interval: CanaryIntervalRecord): Promise<void>;
}
