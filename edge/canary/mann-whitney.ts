/**
 * Mann-Whitney U test: confidence interval and Hodges-Lehmann estimate of the location shift
 * x − y (x = experiment/canary, y = control/baseline), by the normal approximation with tie and
 * continuity correction, as R's wilcox.test(x, y, conf.int=TRUE, exact=FALSE, correct=TRUE) and
 * Kayenta compute it. Each evaluation of the statistic merges the two sorted samples: O(n + m).
 */
import { brent } from './brent.ts';
import { normalQuantile } from './normal.ts';
import { rankSumShifted } from './ranks.ts';

export interface MannWhitneyResult { lower: number; upper: number; estimate: number }

/** The standardized, continuity-corrected rank statistic W(mu) of x − mu against y. */
export function wilcoxonStatistic(x: Float64Array, y: Float64Array): (mu: number) => number {
  const nx = x.length;
  const ny = y.length;
  const n = nx + ny;
  return (mu) => {
    const { rankSum, tieTerm } = rankSumShifted(x, y, mu);
    const dz = rankSum - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
    const correction = Math.sign(dz) * 0.5;
    const sigma = Math.sqrt(((nx * ny) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    if (sigma === 0) throw new Error('cannot compute confidence interval when all observations are tied');
    return (dz - correction) / sigma;
  };
}

/** W(mu) − zq, the function whose roots are the interval ends (zq = ±quantile) and the estimate (zq = 0). */
export function wilcoxonDiff(x: Float64Array, y: Float64Array): (mu: number, zq: number) => number {
  const w = wilcoxonStatistic(x, y);
  return (mu, zq) => w(mu) - zq;
}

/** Smallest and largest possible shifts: min(x) − max(y), max(x) − min(y). */
export const shiftRange = (x: Float64Array, y: Float64Array) => ({ muMin: x[0]! - y[y.length - 1]!, muMax: x[x.length - 1]! - y[0]! });

/**
 * The test on ascending samples. Like Kayenta (and unlike R), the estimate keeps the continuity
 * correction; it differs from R's by less than the 1e-4 root tolerance on Kayenta's own suites.
 */
export function mannWhitneySorted(x: Float64Array, y: Float64Array, confLevel: number): MannWhitneyResult {
  const w = wilcoxonStatistic(x, y);
  const { muMin, muMax } = shiftRange(x, y);
  // The statistic at the ends does not depend on the quantile: evaluate it once for all three roots.
  const wMin = w(muMin);
  const wMax = w(muMax);
  const zq = normalQuantile((1 - confLevel) / 2);
  const root = (q: number) => {
    if (wMin - q <= 0) return muMin;
    if (wMax - q >= 0) return muMax;
    return brent((mu) => w(mu) - q, muMin, muMax, wMin - q, wMax - q);
  };
  const lower = root(-zq);
  const upper = root(zq);
  // The estimate is searched with no endpoint shortcut, as in Kayenta.
  const estimate = brent(w, muMin, muMax, wMin, wMax);
  return { lower, upper, estimate };
}

/** The test on unsorted samples. */
export function mannWhitney(x: readonly number[], y: readonly number[], confLevel = 0.95): MannWhitneyResult {
  return mannWhitneySorted(Float64Array.from(x).sort(), Float64Array.from(y).sort(), confLevel);
}
