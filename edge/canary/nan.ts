/** NaN handling, applied to each side before anything else. */
import type { NanStrategy } from './types.ts';

/** Drops NaN values. */
export const removeNaNs = (values: readonly number[]): number[] => values.filter((v) => !Number.isNaN(v));

/** Replaces NaN values with `value` (0 in the judge). */
export const replaceNaNs = (values: readonly number[], value = 0): number[] => values.map((v) => (Number.isNaN(v) ? value : v));

/** Applies a metric's NaN strategy. */
export const handleNaNs = (values: readonly number[], strategy: NanStrategy): number[] =>
  strategy === 'remove' ? removeNaNs(values) : replaceNaNs(values, 0);
