/**
 * One canary analysis, pure: check what the agent collected, judge it with the stage's thresholds,
 * and decide whether the canary goes on, passes or fails (Kayenta's rules).
 */
import type { z } from 'zod';
import { collectedMetrics, type canaryConfig, type CollectedMetrics, type MetricSeries } from '../../../../contract/canary.ts';
import { firstIssue } from '../../../../contract/errors.ts';
import { judge } from '../../../canary/judge.ts';
import type { MetricsData } from '../../../canary/types.ts';
import type { CanaryIntervalRecord } from './port.ts';
import type { AnalysisWindow } from './schedule.ts';

export type CanaryConfigValue = z.infer<typeof canaryConfig>;
export interface Thresholds {
  pass: number;
  marginal: number;
}

/** What one analysis means for the canary. */
export type Decision = { kind: 'continue' } | { kind: 'pass'; reason: string } | { kind: 'fail'; reason: string };

/**
 * Kayenta's rule: an interval scoring at or below marginal ends the canary at once as failed;
 * the last interval decides — at or above pass passes, anything else fails.
 */
export function decide(score: number, t: Thresholds, index: number, planned: number): Decision {
  if (score <= t.marginal) return { kind: 'fail', reason: `interval ${index} of ${planned} scored ${score} ≤ marginal ${t.marginal}` };
  if (index < planned) return { kind: 'continue' };
  if (score >= t.pass) return { kind: 'pass', reason: `the last interval (${index} of ${planned}) scored ${score} ≥ pass ${t.pass}` };
  return { kind: 'fail', reason: `the last interval (${index} of ${planned}) scored ${score} < pass ${t.pass}` };
}

/** Most JSON of series one interval row keeps; D1 refuses rows over ~1 MB and the judge's answer shares the row. */
export const MAX_SERIES_BYTES = 700_000;

/**
 * The series as the report keeps them: whole when they fit in `maxBytes`, else every k-th point
 * (k doubling until they fit) with the step widened to match. Charts only; the judge saw every point.
 */
export function thinSeries(series: CollectedMetrics, maxBytes = MAX_SERIES_BYTES): CollectedMetrics {
  let every = 1;
  let out = series;
  while (JSON.stringify(out).length > maxBytes && every < 1 << 20) {
    every *= 2;
    const thin = (s: MetricSeries): MetricSeries => ({ startMs: s.startMs, stepSec: s.stepSec * every, values: s.values.filter((_, i) => i % every === 0) });
    out = Object.fromEntries(Object.entries(series).map(([name, m]) => [name, { control: thin(m.control), experiment: thin(m.experiment) }]));
  }
  return out;
}

const numbers = (s: MetricSeries | undefined) => (s?.values ?? []).map((v) => v ?? NaN);

export type Judged = { ok: true; interval: CanaryIntervalRecord } | { ok: false; message: string };

/**
 * Judges one interval from a `collectMetrics` result's details. A malformed answer is refused
 * with the path at fault; a metric the agent has no series for is judged as having no data.
 */
export function judgeInterval(config: CanaryConfigValue, thresholds: Thresholds, details: Record<string, unknown>, window: AnalysisWindow, judgedAt: number): Judged {
  if (details.metrics === undefined) return { ok: false, message: `interval ${window.index}: the agent's answer has no metrics (result.details.metrics)` };
  const parsed = collectedMetrics.safeParse(details.metrics);
  if (!parsed.success) {
    return { ok: false, message: `interval ${window.index}: the agent's metrics are malformed: ${firstIssue(parsed.error, ['result', 'details', 'metrics']).message}` };
  }
  const data: MetricsData = {};
  for (const m of config.metrics) {
    const s = parsed.data[m.name];
    if (s) data[m.name] = { control: numbers(s.control), experiment: numbers(s.experiment) };
  }
  const verdict = judge({ ...config, classifier: { ...config.classifier, scoreThresholds: thresholds } }, data);
  return {
    ok: true,
    interval: {
      index: window.index,
      experimentStartMs: window.experiment.startMs,
      experimentEndMs: window.experiment.endMs,
      controlStartMs: window.control.startMs,
      controlEndMs: window.control.endMs,
      judgedAt,
      score: verdict.summaryScore,
      result: verdict.result,
      judge: verdict,
      series: thinSeries(parsed.data),
    },
  };
}
