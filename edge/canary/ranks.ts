/** Rank sums with average ranks for ties, by merging two sorted samples (O(n + m)). */

export interface RankSum {
  /** Sum of the (average) ranks of the x values, in the combined sample of x − shift and y. */
  rankSum: number;
  /** Σ (t³ − t) over tie groups of size t, for the variance's tie correction. */
  tieTerm: number;
}

/**
 * Ranks `x − shift` together with `y` (both ascending) and returns the rank sum of x. The shifted
 * values are computed as `x[i] − shift` exactly as Kayenta does, so ties fall where they fall there.
 */
export function rankSumShifted(x: Float64Array, y: Float64Array, shift: number): RankSum {
  const nx = x.length;
  const ny = y.length;
  let i = 0;
  let j = 0;
  let rank = 0; // ranks already handed out
  let rankSum = 0;
  let tieTerm = 0;
  while (i < nx || j < ny) {
    const xv = i < nx ? x[i]! - shift : Infinity;
    const yv = j < ny ? y[j]! : Infinity;
    const v = xv <= yv ? xv : yv;
    // Gather the whole tie group at value v from both sides.
    let cx = 0;
    while (i < nx && x[i]! - shift === v) { i++; cx++; }
    let cy = 0;
    while (j < ny && y[j]! === v) { j++; cy++; }
    if (cx + cy === 0) {
      // Only possible with infinite values; rank them one at a time so the loop progresses.
      if (i < nx && xv === v) { i++; cx = 1; } else { j++; cy = 1; }
    }
    const t = cx + cy;
    rankSum += cx * (rank + (t + 1) / 2);
    if (t > 1) tieTerm += t * t * t - t;
    rank += t;
  }
  return { rankSum, tieTerm };
}
