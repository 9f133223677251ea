/** Kayenta's WeightedSumScorer: group scores, weights, the summary score and the verdict. */
import type { GroupScore, Label, Verdict } from './types.ts';

export interface ScoredMetric { name: string; label: Label; groups: string[]; critical?: boolean; muted?: boolean }

export interface ScoreResult { groups: GroupScore[]; summaryScore: number; reason: string | null }

/** Rounds half up to 2 decimals (Kayenta's BigDecimal HALF_UP), tolerant of binary noise like 33.345000000001. */
export const round2 = (x: number): number => Math.round(Number((x * 100).toPrecision(12))) / 100;

/** Group scores: 100 · Pass / (Pass + High + Low + NodataFailMetric); a group with none of those has no data. */
export function groupScores(metrics: readonly ScoredMetric[], weights: Readonly<Record<string, number>>): GroupScore[] {
  const counts = new Map<string, { pass: number; total: number }>();
  for (const m of metrics) {
    if (m.muted) continue;
    for (const g of m.groups) {
      const c = counts.get(g) ?? { pass: 0, total: 0 };
      if (m.label === 'Pass') c.pass++;
      if (m.label !== 'Nodata') c.total++;
      counts.set(g, c);
    }
  }
  const scored = [...counts].map(([name, c]) => ({ name, noData: c.total === 0, score: c.total ? (100 * c.pass) / c.total : 0 }));
  // Groups without a weight share what the weights leave, among the groups that have data.
  const sum = Object.values(weights).reduce((s, w) => s + w, 0);
  const unweighted = scored.filter((g) => !g.noData && !(g.name in weights)).length;
  const share = unweighted ? (100 - sum) / unweighted : 0;
  return scored.map((g) => ({ ...g, weight: g.noData ? 0 : (weights[g.name] ?? share) }));
}

/** The summary: Σ score · weight / 100 to 2 decimals, forced to 0 by a failed critical metric or ≥ 50% Nodata. */
export function score(metrics: readonly ScoredMetric[], weights: Readonly<Record<string, number>> = {}): ScoreResult {
  const groups = groupScores(metrics, weights);
  const live = metrics.filter((m) => !m.muted);
  const failedCritical = live.find((m) => m.critical && m.label !== 'Pass');
  if (failedCritical) return { groups, summaryScore: 0, reason: `critical metric ${failedCritical.name} was ${failedCritical.label}` };
  const nodata = live.filter((m) => m.label === 'Nodata').length;
  if (live.length > 0 && nodata / live.length >= 0.5) return { groups, summaryScore: 0, reason: `${nodata} of ${live.length} metrics had no data` };
  const summary = groups.reduce((s, g) => (g.noData ? s : s + (g.score * g.weight) / 100), 0);
  return { groups, summaryScore: round2(summary), reason: null };
}

/** ≥ pass → Pass, ≥ marginal → Marginal, else Fail. */
export const verdict = (summaryScore: number, pass: number, marginal: number): Verdict =>
  summaryScore >= pass ? 'Pass' : summaryScore >= marginal ? 'Marginal' : 'Fail';
