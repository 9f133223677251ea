/**
 * Canary reports: what a canary stage (or a later re-judge) recorded — one run per stage run, one
 * entry per analysis interval with the judge's verdict and the series it judged. A report carries
 * its intervals without their series (up to ~700 KB each); an interval's series come one interval
 * at a time. The API returns these shapes; the console's report page draws them.
 */
import { z } from 'zod';
import { collectedMetrics, judgeResponse } from './canary.ts';

export const canaryRunStatus = z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED']);
export type CanaryRunStatus = z.infer<typeof canaryRunStatus>;
export const canaryResult = z.enum(['Pass', 'Marginal', 'Fail']);

/** A scope the canary compared: the baseline (control) or canary (experiment) server group. */
export const canaryScope = z.object({
  serverGroup: z.string(),
  account: z.string(),
  location: z.string(),
  /** The artifact's version label, when it has one. */
  version: z.string().nullable(),
});

/** One judged interval without its series: its windows, score and the judge's verdict per metric. */
export const canaryIntervalSummary = z.object({
  /** 1-based: interval i covers the analysis up to start + warm-up + i·interval. */
  index: z.number().int().min(1),
  experimentStartMs: z.number().int(),
  experimentEndMs: z.number().int(),
  controlStartMs: z.number().int(),
  controlEndMs: z.number().int(),
  judgedAt: z.string(),
  score: z.number(),
  result: canaryResult,
  judge: judgeResponse,
});
export type CanaryIntervalSummary = z.infer<typeof canaryIntervalSummary>;

/** One judged interval with the baseline and canary series it was judged on. */
export const canaryInterval = canaryIntervalSummary.extend({
  series: collectedMetrics,
});
export type CanaryInterval = z.infer<typeof canaryInterval>;

export const canaryReportSummary = z.object({
  id: z.string(),
  application: z.string(),
  executionId: z.string().nullable(),
  stageId: z.string().nullable(),
  stageName: z.string().nullable(),
  configName: z.string(),
  configVersion: z.number().int().nullable(),
  status: canaryRunStatus,
  /** The last interval's score (the one that decides), null before the first. */
  score: z.number().nullable(),
  result: canaryResult.nullable(),
  thresholds: z.object({ pass: z.number(), marginal: z.number() }),
  control: canaryScope,
  experiment: canaryScope,
  metricsSource: z.enum(['prometheus', 'builtin']),
  plannedIntervals: z.number().int(),
  completedIntervals: z.number().int(),
  /** Why the run ended the way it did (e.g. "interval 2 scored 40 ≤ marginal 50"). */
  reason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CanaryReportSummary = z.infer<typeof canaryReportSummary>;

export const canaryReport = canaryReportSummary.extend({
  /** The canary config as it was judged with. */
  config: z.record(z.string(), z.unknown()),
  /** Every judged interval in order, without series: `…/intervals/{index}` has those. */
  intervals: z.array(canaryIntervalSummary),
});
export type CanaryReport = z.infer<typeof canaryReport>;

export const canaryReportPage = z.object({ items: z.array(canaryReportSummary), nextCursor: z.string().nullable() });
