/** Descriptive statistics and effect sizes. */
import { rankSumShifted } from './ranks.ts';

export interface Summary { min: number; max: number; mean: number; std: number; count: number }

export const ascending = (a: number, b: number) => a - b;

/** Sorted copy as a Float64Array (numeric sort, no comparator needed). */
export const sortedCopy = (values: readonly number[]): Float64Array => Float64Array.from(values).sort();

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/** Sample variance (divides by n − 1). */
export function variance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < n; i++) s += (values[i]! - m) ** 2;
  return s / (n - 1);
}

/** min, max, mean, sample standard deviation and count; all 0 for empty input. */
export function summary(values: readonly number[]): Summary {
  if (values.length === 0) return { min: 0, max: 0, mean: 0, std: 0, count: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, mean: mean(values), std: Math.sqrt(variance(values)), count: values.length };
}

/**
 * Percentile p (0–100) by the R-7 definition (linear interpolation), computed the way Commons Math
 * does so results match Kayenta bit for bit. `sorted` must be ascending.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (n === 1) return sorted[0]!;
  const q = p / 100;
  const pos = q === 1 ? n : 1 + (n - 1) * q;
  const fpos = Math.floor(pos);
  const dif = pos - fpos;
  if (pos < 1) return sorted[0]!;
  if (pos >= n) return sorted[n - 1]!;
  const lower = sorted[fpos - 1]!;
  const upper = sorted[fpos]!;
  return lower + dif * (upper - lower);
}

/** Percentile p (0–100) of unsorted values, R-7. */
export const percentile = (values: readonly number[], p: number): number => percentileSorted(sortedCopy(values), p);

/** Mean of the experiment over mean of the control; NaN when either mean is 0 (the effect check is then skipped). */
export function meanRatio(control: ArrayLike<number>, experiment: ArrayLike<number>): number {
  const c = mean(control);
  const e = mean(experiment);
  return c === 0 || e === 0 ? NaN : e / c;
}

/** Cohen's d: |mean difference| / pooled sample standard deviation. */
export function cohenD(control: ArrayLike<number>, experiment: ArrayLike<number>): number {
  const n1 = control.length;
  const n2 = experiment.length;
  const pooled = Math.sqrt(((n1 - 1) * variance(control) + (n2 - 1) * variance(experiment)) / (n1 + n2 - 2));
  return Math.abs(mean(experiment) - mean(control)) / pooled;
}

/**
 * Common-language effect size: P(experiment value > control value), ties counting one half,
 * from the rank sum (O(n log n) on sorted input, no pairwise work).
 */
export function clesSorted(control: Float64Array, experiment: Float64Array): number {
  const m = experiment.length;
  const n = control.length;
  const { rankSum } = rankSumShifted(experiment, control, 0);
  return (2 * rankSum - m * (m + 1)) / (2 * n * m);
}

/** CLES of unsorted samples. */
export const cles = (control: readonly number[], experiment: readonly number[]): number => clesSorted(sortedCopy(control), sortedCopy(experiment));
