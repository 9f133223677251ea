/** Rank sums with average ranks for ties, by merging two sorted samples (O(n + m)). */

export interface RankSum {
  /** Sum of the (average) ranks of the x values, in the combined sample of x − shift and y. */
  rankSum: number;
  /** Σ (t³ − t) over tie groups of size t, for the variance's tie correction. */
  tieTerm: number;
}

/**
 * Ranks `x − shift` together with `y` (both ascending, no NaN) and returns the rank sum of x. The
 * shifted values are computed as `x[i] − shift` exactly as Kayenta does, so ties fall where they
 * fall there. This is the judge's inner loop (tens of calls per metric), hence the plain loops.
 */
export function rankSumShifted(x: Float64Array, y: Float64Array, shift: number): RankSum {
  const nx = x.length;
  const ny = y.length;
  let i = 0;
  let j = 0;
  let rank = 0; // ranks already handed out
  let rankSum = 0;
  let tieTerm = 0;
  let xv = nx > 0 ? x[0]! - shift : Infinity;
  while (i < nx) {
    const v = xv;
    // y values below v, each tie group of y alone taking its ranks.
    while (j < ny && y[j]! < v) {
      const yv = y[j]!;
      let cy = 1;
      j++;
      while (j < ny && y[j]! === yv) { j++; cy++; }
      if (cy > 1) tieTerm += cy * cy * cy - cy;
      rank += cy;
    }
    // The x values tied at v (after the shift), and any y values equal to them.
    let cx = 1;
    i++;
    xv = i < nx ? x[i]! - shift : Infinity;
    while (i < nx && xv === v) {
      cx++;
      i++;
      xv = i < nx ? x[i]! - shift : Infinity;
    }
    let cy = 0;
    while (j < ny && y[j]! === v) { j++; cy++; }
    const t = cx + cy;
    rankSum += cx * (rank + (t + 1) / 2);
    if (t > 1) tieTerm += t * t * t - t;
    rank += t;
  }
  while (j < ny) {
    const yv = y[j]!;
    let cy = 1;
    j++;
    while (j < ny && y[j]! === yv) { j++; cy++; }
    if (cy > 1) tieTerm += cy * cy * cy - cy;
  }
  return { rankSum, tieTerm };
}
