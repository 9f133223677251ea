/**
 * The arithmetic behind the canary report page: which interval is shown, what time it covers,
 * how a verdict reads against the thresholds, and the numbers of a series (its points from the
 * start, its quartiles, its histogram).
 */
import type { z } from 'zod';
import type { metricLabel, MetricSeries } from '../../../contract/canary.ts';
import type { CanaryIntervalSummary, CanaryRunStatus, canaryResult } from '../../../contract/canary-reports.ts';

export type CanaryResult = z.infer<typeof canaryResult>;
export type MetricLabel = z.infer<typeof metricLabel>;
export type Tone = 'ok' | 'warn' | 'danger' | 'neutral';

/** The badge colour of a verdict; null (no interval judged yet) is neutral. */
export function resultTone(result: CanaryResult | null): Tone {
  switch (result) {
    case 'Pass':
      return 'ok';
    case 'Marginal':
      return 'warn';
    case 'Fail':
      return 'danger';
    case null:
      return 'neutral';
    default:
      return assertNever(result);
  }
}

/** The colour of a metric's classification: High/Low are the judge's "different", Nodata may fail the metric. */
export function labelTone(label: MetricLabel): Tone {
  switch (label) {
    case 'Pass':
      return 'ok';
    case 'High':
    case 'Low':
    case 'NodataFailMetric':
      return 'danger';
    case 'Nodata':
      return 'neutral';
    default:
      return assertNever(label);
  }
}

/** A report still gathering intervals: the page refreshes it. */
export const isLive = (status: CanaryRunStatus): boolean => status === 'RUNNING';

function assertNever(x: never): never {
  throw new Error(`unexpected value ${String(x)}`);
}

/** The interval with 1-based `index`, or the newest when none is asked for or it does not exist (yet). */
export function pickInterval(intervals: readonly CanaryIntervalSummary[], index: number | null): CanaryIntervalSummary | null {
  return intervals.find((i) => i.index === index) ?? intervals.at(-1) ?? null;
}

/** "4 min", "1 h 5 min", "45 s": durations as a canary's intervals are usually set. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const parts = [h && `${h} h`, m && `${m} min`, rest && !h && `${rest} s`].filter(Boolean);
  return parts.join(' ');
}

/** "m:ss" (or "h:mm:ss") since a series' start, for chart axes. */
export function clockOffset(sec: number): string {
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/**
 * What an interval covers, as offsets from the canary's first interval start: interval 2 of a
 * 5-minute analysis is "5:00 – 10:00" (Kayenta's intervals grow from the start or slide).
 */
export function intervalWindow(interval: CanaryIntervalSummary, analysisStartMs: number): { from: string; to: string; length: string } {
  const from = (interval.experimentStartMs - analysisStartMs) / 1000;
  const to = (interval.experimentEndMs - analysisStartMs) / 1000;
  return { from: clockOffset(from), to: clockOffset(to), length: duration(interval.experimentEndMs - interval.experimentStartMs) };
}

/** How a score reads against the thresholds, e.g. "82 ≥ pass 75". */
export function scoreVerdict(score: number, thresholds: { pass: number; marginal: number }): string {
  const s = round(score);
  if (score >= thresholds.pass) return `${s} ≥ pass ${thresholds.pass}`;
  if (score > thresholds.marginal) return `${s} < pass ${thresholds.pass}, > marginal ${thresholds.marginal}`;
  return `${s} ≤ marginal ${thresholds.marginal}`;
}

/**
 * How the thresholds decide a canary, as the canary stage applies them: an interval at or below
 * marginal ends it failed at once; otherwise the last interval decides and must reach pass (a last
 * interval between marginal and pass fails too, so "marginal" is no middle verdict for the stage).
 */
export function thresholdRule(thresholds: { pass: number; marginal: number }): string {
  return `the last interval must reach pass ${thresholds.pass}; an interval at or below marginal ${thresholds.marginal} fails the canary at once`;
}

/** Scores and judge numbers as the page shows them: at most 4 significant decimals, no float noise. */
export function round(n: number | null | undefined, digits = 4): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n !== 0 && Math.abs(n) < 10 ** -digits) return n.toExponential(2);
  return String(Number(n.toFixed(digits)));
}

/** A series as chart points: seconds since its own start; a missing (NaN) value stays a gap. */
export function seriesPoints(s: MetricSeries): { x: number; y: number | null }[] {
  return s.values.map((y, i) => ({ x: i * s.stepSec, y }));
}

export interface Stats {
  count: number;
  missing: number;
  min: number | null;
  q1: number | null;
  median: number | null;
  q3: number | null;
  max: number | null;
  mean: number | null;
}

/** Quantile of sorted values by linear interpolation (R type 7, numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Count, missing points and the five-number summary with the mean: the distribution in a table row. */
export function stats(values: readonly (number | null)[]): Stats {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  const missing = values.length - present.length;
  if (!present.length) return { count: 0, missing, min: null, q1: null, median: null, q3: null, max: null, mean: null };
  return {
    count: present.length,
    missing,
    min: present[0]!,
    q1: quantile(present, 0.25),
    median: quantile(present, 0.5),
    q3: quantile(present, 0.75),
    max: present.at(-1)!,
    mean: present.reduce((a, b) => a + b, 0) / present.length,
  };
}

export interface Histogram {
  /** `bins + 1` edges from the smallest to the largest value of either side. */
  edges: number[];
  control: number[];
  experiment: number[];
}

/**
 * Both sides binned on the same edges, so their bars compare; the last bin includes its upper
 * edge. All values equal (a flat zero error rate, say) make one bin.
 */
export function histogram(control: readonly (number | null)[], experiment: readonly (number | null)[], bins = 12): Histogram {
  const present = (vs: readonly (number | null)[]) => vs.filter((v): v is number => v !== null && Number.isFinite(v));
  const c = present(control);
  const e = present(experiment);
  const all = [...c, ...e];
  if (!all.length) return { edges: [], control: [], experiment: [] };
  const min = Math.min(...all);
  const max = Math.max(...all);
  const n = max === min ? 1 : bins;
  const width = (max - min) / n || 1;
  const edges = Array.from({ length: n + 1 }, (_, i) => (i === n ? (max === min ? min + width : max) : min + i * width));
  const count = (vs: number[]) => {
    const out = new Array<number>(n).fill(0);
    for (const v of vs) out[Math.min(n - 1, Math.floor((v - min) / width))]!++;
    return out;
  };
  return { edges, control: count(c), experiment: count(e) };
}
