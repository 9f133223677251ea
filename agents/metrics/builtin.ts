/**
 * The `builtin` metric source: one value per step, computed from the agent's own scrapes of a
 * scope's instances. Pure, so the arithmetic (counter resets, ratios, histogram quantiles) is pinned
 * down by table tests.
 *
 * Each step point `t` (from `startMs`, every `stepSec`, up to `endMs`) covers the time (t − step, t],
 * like PromQL's `rate(x[step])` evaluated at `t`. A counter's increase is read from the last scrape
 * at or before the step's start to the last one inside it, so one scrape per step is enough.
 */
import type { z } from 'zod';
import type { builtinMetricQuery, MetricSeries } from '../../contract/canary.ts';
import { parsePromValue } from './prom-text.ts';
import type { ScrapedInstance, ScrapedSeries } from './samples.ts';

export type BuiltinQuery = z.infer<typeof builtinMetricQuery>;

/** A scope's window: the values cover [startMs, endMs] at `stepSec`. */
export interface SeriesWindow {
  startMs: number;
  endMs: number;
  stepSec: number;
}

/** The most points one series may have (the contract's limit). */
export const MAX_POINTS = 100_000;

/** The step points of a window: `startMs`, then every step up to and including `endMs`. */
export function stepPoints(window: SeriesWindow): number[] {
  const stepMs = window.stepSec * 1000;
  if (window.endMs < window.startMs) throw new Error(`the window ends (${window.endMs}) before it starts (${window.startMs})`);
  const count = Math.floor((window.endMs - window.startMs) / stepMs) + 1;
  if (count > MAX_POINTS) throw new Error(`the window has ${count} steps of ${window.stepSec}s; at most ${MAX_POINTS} are allowed`);
  return Array.from({ length: count }, (_, k) => window.startMs + k * stepMs);
}

/** The metric names a query reads, so only those series need copying out of the scrapes. */
export function metricNamesOf(query: BuiltinQuery): Set<string> {
  if (query.aggregation === 'quantile') return new Set([bucketName(query.metric)]);
  if (query.aggregation === 'ratio' && query.denominator) return new Set([query.metric, query.denominator]);
  return new Set([query.metric]);
}

/** The query's values over the window, summed (a gauge: averaged) over the scope's instances. */
export function builtinSeries(instances: readonly ScrapedInstance[], query: BuiltinQuery, window: SeriesWindow): MetricSeries {
  const stepMs = window.stepSec * 1000;
  const values = stepPoints(window).map((t) => {
    const value = valueAt(instances, query, t - stepMs, t);
    return value !== null && Number.isFinite(value) ? value : null;
  });
  return { startMs: window.startMs, stepSec: window.stepSec, values };
}

function valueAt(instances: readonly ScrapedInstance[], query: BuiltinQuery, fromMs: number, toMs: number): number | null {
  switch (query.aggregation) {
    case 'rate':
      return sumOf(instances.map((inst) => {
        const span = spanOf(inst, fromMs, toMs);
        const increase = span && increaseOf(inst, query.metric, query.labels, span);
        return span && increase !== null ? increase / ((inst.timesMs[span.last]! - inst.timesMs[span.base]!) / 1000) : null;
      }));
    case 'ratio': {
      let numerator = 0;
      let denominator = 0;
      for (const inst of instances) {
        const span = spanOf(inst, fromMs, toMs);
        if (!span) continue;
        // The labels pick the numerator's series; the denominator is the whole it is a share of (PromQL's usual errors{…}/requests).
        const num = increaseOf(inst, query.metric, query.labels, span);
        const den = increaseOf(inst, query.denominator ?? '', {}, span);
        if (num === null || den === null) continue;
        numerator += num;
        denominator += den;
      }
      // Why null and not 0: with no traffic in the step there is no error rate to judge.
      return denominator > 0 ? numerator / denominator : null;
    }
    case 'gauge': {
      const perInstance = instances.map((inst) => gaugeOf(inst, query.metric, query.labels, fromMs, toMs)).filter((v): v is number => v !== null);
      return perInstance.length ? perInstance.reduce((s, v) => s + v, 0) / perInstance.length : null;
    }
    case 'quantile':
      return quantileAt(instances, query, fromMs, toMs);
    default: {
      const never: never = query.aggregation;
      throw new Error(`unknown aggregation ${String(never)}`);
    }
  }
}

/** Scrape indexes bracketing a step: the last at or before its start (else its first), and the last inside it. */
export interface Span {
  base: number;
  last: number;
}

function spanOf(inst: ScrapedInstance, fromMs: number, toMs: number): Span | null {
  const times = inst.timesMs;
  let last = -1;
  let base = -1;
  for (let i = 0; i < times.length && times[i]! <= toMs; i++) {
    last = i;
    if (times[i]! <= fromMs) base = i;
  }
  if (last < 0 || times[last]! <= fromMs) return null;
  if (base < 0) base = times.findIndex((t) => t > fromMs);
  return base < last ? { base, last } : null;
}

const matches = (s: ScrapedSeries, name: string, labels: Readonly<Record<string, string>>) =>
  s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);

/**
 * Σ increase of the matching series over a span; null when the instance does not export `name`
 * at all. An instance exporting it with no matching series counts 0: a counter such as
 * `http_requests_total{code="500"}` appears only with its first error.
 */
function increaseOf(inst: ScrapedInstance, name: string, labels: Readonly<Record<string, string>>, span: Span): number | null {
  if (!inst.series.some((s) => s.name === name)) return null;
  let total = 0;
  for (const s of inst.series) if (matches(s, name, labels)) total += counterIncrease(s.values, span) ?? 0;
  return total;
}

/**
 * A counter's increase over a span, counting a drop as a restart from 0 (Prometheus' rule). A
 * series missing from the scrapes before its first appearance counts as 0 there, so the first
 * requests of a new label set are not lost (Prometheus loses them); later gaps are skipped.
 */
export function counterIncrease(values: readonly number[], span: Span): number | null {
  const born = values.findIndex((v) => !Number.isNaN(v));
  if (born < 0) return null;
  const at = (i: number) => (born > 0 && i < born ? 0 : values[i]!);
  // The baseline is the last value at or before the step's start, even from before a gap.
  let first = span.base;
  while (first > 0 && Number.isNaN(at(first))) first--;
  let previous = NaN;
  let increase = 0;
  let points = 0;
  for (let i = first; i <= span.last; i++) {
    const v = at(i);
    if (Number.isNaN(v)) continue;
    if (points > 0) increase += v >= previous ? v - previous : v;
    previous = v;
    points++;
  }
  return points >= 2 ? increase : null;
}

/** Σ over the matching series of their latest value in (fromMs, toMs]; null when none has one. */
function gaugeOf(inst: ScrapedInstance, name: string, labels: Readonly<Record<string, string>>, fromMs: number, toMs: number): number | null {
  let sum: number | null = null;
  for (const s of inst.series) {
    if (!matches(s, name, labels)) continue;
    for (let i = inst.timesMs.length - 1; i >= 0 && inst.timesMs[i]! > fromMs; i--) {
      if (inst.timesMs[i]! > toMs || Number.isNaN(s.values[i]!)) continue;
      sum = (sum ?? 0) + s.values[i]!;
      break;
    }
  }
  return sum;
}

const bucketName = (metric: string) => (metric.endsWith('_bucket') ? metric : `${metric}_bucket`);

/** histogram_quantile over the bucket increases of every instance, summed per upper bound. */
function quantileAt(instances: readonly ScrapedInstance[], query: BuiltinQuery, fromMs: number, toMs: number): number | null {
  const name = bucketName(query.metric);
  const { le: _ignored, ...labels } = query.labels;
  const counts = new Map<number, number>();
  let seen = false;
  for (const inst of instances) {
    const span = spanOf(inst, fromMs, toMs);
    if (!span || !inst.series.some((s) => s.name === name)) continue;
    seen = true;
    for (const s of inst.series) {
      const le = s.labels.le;
      if (le === undefined || !matches(s, name, labels)) continue;
      let upper: number;
      try {
        upper = parsePromValue(le);
      } catch {
        continue;
      }
      counts.set(upper, (counts.get(upper) ?? 0) + (counterIncrease(s.values, span) ?? 0));
    }
  }
  if (!seen) return null;
  return bucketQuantile(query.quantile ?? 0.5, [...counts].map(([upperBound, count]) => ({ upperBound, count })));
}

/**
 * Prometheus' `histogram_quantile` over cumulative buckets: find the bucket holding the rank and
 * interpolate linearly inside it (from 0 for the first bucket). Null where Prometheus gives NaN:
 * no +Inf bucket, fewer than two buckets, or no observations. A rank in the +Inf bucket gives the
 * highest finite bound.
 */
export function bucketQuantile(q: number, buckets: readonly { upperBound: number; count: number }[]): number | null {
  const sorted = [...buckets].sort((a, b) => a.upperBound - b.upperBound);
  if (sorted.length < 2 || sorted.at(-1)!.upperBound !== Infinity) return null;
  // Counts read at slightly different times can dip; Prometheus evens them out the same way.
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.count < sorted[i - 1]!.count) sorted[i] = { ...sorted[i]!, count: sorted[i - 1]!.count };
  const observations = sorted.at(-1)!.count;
  if (observations <= 0) return null;
  let rank = q * observations;
  const b = sorted.findIndex((bucket, i) => i === sorted.length - 1 || bucket.count >= rank);
  if (b === sorted.length - 1) return sorted[b - 1]!.upperBound;
  if (b === 0 && sorted[0]!.upperBound <= 0) return sorted[0]!.upperBound;
  let start = 0;
  let count = sorted[b]!.count;
  if (b > 0) {
    start = sorted[b - 1]!.upperBound;
    count -= sorted[b - 1]!.count;
    rank -= sorted[b - 1]!.count;
  }
  return start + (sorted[b]!.upperBound - start) * (rank / count);
}

function sumOf(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((s, v) => s + v, 0) : null;
}
