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
import { parsePromValue, type SampleFilter } from './prom-text.ts';
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

/**
 * Whether a builtin query could ever read a scraped sample, so only those are kept in memory:
 * counters, gauges, histograms and untyped samples can be read; a summary's quantiles cannot be
 * summed over instances (only its `_sum` and `_count` counters can), and OpenMetrics' info and
 * stateset families hold labels, not measurements.
 */
export const usableByBuiltin: SampleFilter = (sample, familyType) => {
  if (familyType === 'summary') return sample.labels.quantile === undefined;
  return familyType !== 'info' && familyType !== 'stateset';
};

/** The query's values over the window, summed (a gauge: averaged) over the scope's instances. */
export function builtinSeries(instances: readonly ScrapedInstance[], query: BuiltinQuery, window: SeriesWindow): MetricSeries {
  const points = stepPoints(window);
  const stepMs = window.stepSec * 1000;
  const raw = valuesOf(instances, query, points, stepMs);
  const values = raw.map((value) => (value !== null && Number.isFinite(value) ? value : null));
  return { startMs: window.startMs, stepSec: window.stepSec, values };
}

/** Null where a step has no value; one entry per step point. */
type StepValues = (number | null)[];

function valuesOf(instances: readonly ScrapedInstance[], query: BuiltinQuery, points: readonly number[], stepMs: number): StepValues {
  switch (query.aggregation) {
    case 'rate':
      return sumPerStep(points, instances.map((inst) => rateOf(inst, query, spansOf(inst.timesMs, points, stepMs))));
    case 'ratio':
      return ratioOf(instances, query, points, stepMs);
    case 'gauge': {
      const perInstance = instances.map((inst) => gaugeOf(inst, query, points, stepMs));
      return points.map((_, k) => {
        const present = perInstance.map((values) => values[k]!).filter((v): v is number => v !== null);
        return present.length ? present.reduce((s, v) => s + v, 0) / present.length : null;
      });
    }
    case 'quantile':
      return quantileOf(instances, query, points, stepMs);
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

/**
 * Each step's span, in one pass over the scrapes: both ends only move forward as the steps do,
 * so a window costs O(steps + scrapes), not O(steps × scrapes) (which, at 1 s over 2 h, blocked
 * the event loop long enough for task leases to run out).
 */
export function spansOf(timesMs: readonly number[], points: readonly number[], stepMs: number): (Span | null)[] {
  let atOrBeforeStart = 0;
  let atOrBeforeEnd = 0;
  return points.map((toMs) => {
    const fromMs = toMs - stepMs;
    while (atOrBeforeEnd < timesMs.length && timesMs[atOrBeforeEnd]! <= toMs) atOrBeforeEnd++;
    while (atOrBeforeStart < timesMs.length && timesMs[atOrBeforeStart]! <= fromMs) atOrBeforeStart++;
    const last = atOrBeforeEnd - 1;
    if (last < 0 || timesMs[last]! <= fromMs) return null;
    // No scrape at or before the step's start: the step's own first scrape is the base.
    const base = Math.max(0, atOrBeforeStart - 1);
    return base < last ? { base, last } : null;
  });
}

const matches = (s: ScrapedSeries, name: string, labels: Readonly<Record<string, string>>) =>
  s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);

/**
 * The matching series of one instance, ready to give increases per span; null when the instance
 * does not export `name` at all. An instance exporting it with no matching series counts 0: a
 * counter such as `http_requests_total{code="500"}` appears only with its first error.
 */
function countersOf(inst: ScrapedInstance, name: string, labels: Readonly<Record<string, string>>): Counter[] | null {
  if (!inst.series.some((s) => s.name === name)) return null;
  return inst.series.filter((s) => matches(s, name, labels)).map((s) => new Counter(s.values));
}

const increaseOf = (counters: readonly Counter[], span: Span) => counters.reduce((total, c) => total + (c.increase(span) ?? 0), 0);

function rateOf(inst: ScrapedInstance, query: BuiltinQuery, spans: readonly (Span | null)[]): StepValues {
  const counters = countersOf(inst, query.metric, query.labels);
  return spans.map((span) => (span && counters ? increaseOf(counters, span) / ((inst.timesMs[span.last]! - inst.timesMs[span.base]!) / 1000) : null));
}

function ratioOf(instances: readonly ScrapedInstance[], query: BuiltinQuery, points: readonly number[], stepMs: number): StepValues {
  const numerators = new Array<number>(points.length).fill(0);
  const denominators = new Array<number>(points.length).fill(0);
  for (const inst of instances) {
    // The labels pick the numerator's series; the denominator is the whole it is a share of (PromQL's usual errors{…}/requests).
    const num = countersOf(inst, query.metric, query.labels);
    const den = countersOf(inst, query.denominator ?? '', {});
    if (!num || !den) continue;
    spansOf(inst.timesMs, points, stepMs).forEach((span, k) => {
      if (!span) return;
      numerators[k]! += increaseOf(num, span);
      denominators[k]! += increaseOf(den, span);
    });
  }
  // Why null and not 0: with no traffic in the step there is no error rate to judge.
  return points.map((_, k) => (denominators[k]! > 0 ? numerators[k]! / denominators[k]! : null));
}

/**
 * A counter's values prepared for many spans: which scrapes hold a value, and the nearest such
 * scrape before and after each one, so a long gap is stepped over at once rather than per step.
 */
class Counter {
  readonly #values: readonly number[];
  /** The first scrape with a value; -1 when none has one. */
  readonly #born: number;
  /** Per scrape: the last one at or before it with a value, else -1. */
  readonly #previous: Int32Array;
  /** Per scrape (and one past the end): the first one at or after it with a value, else the length. */
  readonly #next: Int32Array;

  constructor(values: readonly number[]) {
    this.#values = values;
    this.#born = values.findIndex((v) => !Number.isNaN(v));
    const n = values.length;
    this.#previous = new Int32Array(n);
    this.#next = new Int32Array(n + 1);
    for (let i = 0, seen = -1; i < n; i++) this.#previous[i] = seen = Number.isNaN(this.#at(i)) ? seen : i;
    this.#next[n] = n;
    for (let i = n - 1; i >= 0; i--) this.#next[i] = Number.isNaN(this.#at(i)) ? this.#next[i + 1]! : i;
  }

  /** Before its first appearance a series counts as 0 (see {@link counterIncrease}). */
  #at(i: number): number {
    return this.#born > 0 && i < this.#born ? 0 : this.#values[i]!;
  }

  increase(span: Span): number | null {
    if (this.#born < 0) return null;
    // The baseline is the last value at or before the step's start, even from before a gap.
    let i = this.#previous[span.base]! >= 0 ? this.#previous[span.base]! : this.#next[span.base]!;
    let previous = NaN;
    let increase = 0;
    let points = 0;
    for (; i <= span.last; i = this.#next[i + 1]!) {
      const v = this.#at(i);
      if (points > 0) increase += v >= previous ? v - previous : v;
      previous = v;
      points++;
    }
    return points >= 2 ? increase : null;
  }
}

/**
 * A counter's increase over a span, counting a drop as a restart from 0 (Prometheus' rule). A
 * series missing from the scrapes before its first appearance counts as 0 there, so the first
 * requests of a new label set are not lost (Prometheus loses them); later gaps are skipped.
 */
export function counterIncrease(values: readonly number[], span: Span): number | null {
  return new Counter(values).increase(span);
}

/** Per step: Σ over the matching series of their latest value in the step; null when none has one. */
function gaugeOf(inst: ScrapedInstance, query: BuiltinQuery, points: readonly number[], stepMs: number): StepValues {
  const series = inst.series.filter((s) => matches(s, query.metric, query.labels));
  const times = inst.timesMs;
  let end = 0;
  return points.map((toMs) => {
    while (end < times.length && times[end]! <= toMs) end++;
    let sum: number | null = null;
    for (const s of series) {
      // Only the scrapes inside the step are looked at, newest first.
      for (let i = end - 1; i >= 0 && times[i]! > toMs - stepMs; i--) {
        if (Number.isNaN(s.values[i]!)) continue;
        sum = (sum ?? 0) + s.values[i]!;
        break;
      }
    }
    return sum;
  });
}

const bucketName = (metric: string) => (metric.endsWith('_bucket') ? metric : `${metric}_bucket`);

/** histogram_quantile over the bucket increases of every instance, summed per upper bound. */
function quantileOf(instances: readonly ScrapedInstance[], query: BuiltinQuery, points: readonly number[], stepMs: number): StepValues {
  const name = bucketName(query.metric);
  const { le: _ignored, ...labels } = query.labels;
  const perStep = points.map(() => null as Map<number, number> | null);
  for (const inst of instances) {
    if (!inst.series.some((s) => s.name === name)) continue;
    const buckets = inst.series.flatMap((s) => {
      const upper = s.labels.le === undefined || !matches(s, name, labels) ? undefined : upperBoundOf(s.labels.le);
      return upper === undefined ? [] : [{ upper, counter: new Counter(s.values) }];
    });
    spansOf(inst.timesMs, points, stepMs).forEach((span, k) => {
      if (!span) return;
      const counts = (perStep[k] ??= new Map());
      for (const { upper, counter } of buckets) counts.set(upper, (counts.get(upper) ?? 0) + (counter.increase(span) ?? 0));
    });
  }
  return perStep.map((counts) => (counts ? bucketQuantile(query.quantile ?? 0.5, [...counts].map(([upperBound, count]) => ({ upperBound, count }))) : null));
}

function upperBoundOf(le: string): number | undefined {
  try {
    return parsePromValue(le);
  } catch {
    return undefined;
  }
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

/** Per step, the sum of the instances that have a value; null when none has. */
function sumPerStep(points: readonly number[], perInstance: readonly StepValues[]): StepValues {
  return points.map((_, k) => {
    let sum: number | null = null;
    for (const values of perInstance) if (values[k] !== null) sum = (sum ?? 0) + values[k]!;
    return sum;
  });
}
