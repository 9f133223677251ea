/** Outlier detection and removal (IQR fences with R-7 percentiles, and k-sigma). */
import { mean, percentileSorted, sortedCopy } from './statistics.ts';

/**
 * Fences [Q1 − k·IQR, Q3 + k·IQR]; with `reduceSensitivity` (what the judge uses) widened to
 * [min(P1, lower), max(P99, upper)] so small samples do not lose their tails.
 */
export function iqrFences(values: readonly number[], factor: number, reduceSensitivity: boolean): { lower: number; upper: number } {
  return iqrFencesSorted(sortedCopy(values), factor, reduceSensitivity);
}

/** `iqrFences` on an ascending sample. */
export function iqrFencesSorted(sorted: Float64Array, factor: number, reduceSensitivity: boolean): { lower: number; upper: number } {
  const q1 = percentileSorted(sorted, 25);
  const q3 = percentileSorted(sorted, 75);
  const iqr = q3 - q1;
  let lower = q1 - factor * iqr;
  let upper = q3 + factor * iqr;
  if (reduceSensitivity) {
    lower = Math.min(percentileSorted(sorted, 1), lower);
    upper = Math.max(percentileSorted(sorted, 99), upper);
  }
  return { lower, upper };
}

/** Flags values outside the IQR fences. */
export function iqrOutliers(values: readonly number[], factor: number, reduceSensitivity: boolean): boolean[] {
  if (values.length === 0) return [];
  const { lower, upper } = iqrFences(values, factor, reduceSensitivity);
  return values.map((v) => v < lower || v > upper);
}

/** Flags values with |x − mean| > k · population standard deviation. */
export function kSigmaOutliers(values: readonly number[], k: number): boolean[] {
  if (values.length === 0) return [];
  const m = mean(values);
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length);
  return values.map((v) => Math.abs(v - m) > k * sd);
}

/** Keeps the values a detector did not flag. */
export const dropFlagged = (values: readonly number[], flags: readonly boolean[]): number[] => values.filter((_, i) => !flags[i]);

/** The judge's outlier step: IQR with reduced sensitivity, factor k (3 by default). */
export const removeOutliers = (values: readonly number[], factor = 3): number[] => dropFlagged(values, iqrOutliers(values, factor, true));

/** The judge's outlier step on an ascending sample; the result stays ascending. */
export function removeOutliersSorted(sorted: Float64Array, factor = 3): Float64Array {
  if (sorted.length === 0) return sorted;
  const { lower, upper } = iqrFencesSorted(sorted, factor, true);
  let from = 0;
  let to = sorted.length;
  while (from < to && sorted[from]! < lower) from++;
  while (to > from && sorted[to - 1]! > upper) to--;
  return sorted.subarray(from, to);
}
