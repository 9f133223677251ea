/**
 * Chart.js configurations for the canary report: the score over intervals with the thresholds,
 * and per metric canary vs baseline over time and their distributions. Only types come from
 * chart.js here; the library itself is loaded when a chart is first drawn.
 */
import type { ChartConfiguration } from 'chart.js';
import type { MetricSeries } from '../../../contract/canary.ts';
import type { CanaryIntervalSummary } from '../../../contract/canary-reports.ts';
import { clockOffset, histogram, seriesPoints } from './report.ts';

/** Baseline and canary keep one colour each on every chart (Kayenta's blue and orange). */
export const COLORS = { baseline: '#1f6feb', canary: '#d9730d', score: '#17212e', pass: '#1a7f37', marginal: '#9a6700' } as const;

/** The charts redraw every few seconds while a canary runs: no animation. */
const base = { animation: false, responsive: true, maintainAspectRatio: false } as const;

/** The score of each judged interval, with the pass and marginal thresholds as dashed lines. */
export function scoreChart(intervals: readonly CanaryIntervalSummary[], thresholds: { pass: number; marginal: number }, planned: number): ChartConfiguration<'line'> {
  const count = Math.max(planned, intervals.length, 1);
  const labels = Array.from({ length: count }, (_, i) => `#${i + 1}`);
  const byIndex = new Map(intervals.map((i) => [i.index, i.score]));
  const line = (value: number) => labels.map(() => value);
  return {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: 'Score', data: labels.map((_, i) => byIndex.get(i + 1) ?? null), borderColor: COLORS.score, backgroundColor: COLORS.score, pointRadius: 4, borderWidth: 2 },
        { label: `Pass (${thresholds.pass})`, data: line(thresholds.pass), borderColor: COLORS.pass, borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 },
        { label: `Marginal (${thresholds.marginal})`, data: line(thresholds.marginal), borderColor: COLORS.marginal, borderDash: [2, 3], pointRadius: 0, borderWidth: 1.5 },
      ],
    },
    options: {
      ...base,
      scales: { y: { min: 0, max: 100, title: { display: true, text: 'score' } }, x: { title: { display: true, text: 'interval' } } },
      plugins: { legend: { position: 'bottom' } },
    },
  };
}

/** Canary and baseline values of one metric over the interval, each from its own start. */
export function seriesChart(pair: { control: MetricSeries; experiment: MetricSeries }): ChartConfiguration<'line'> {
  const line = (label: string, s: MetricSeries, color: string) => ({
    label,
    data: seriesPoints(s),
    borderColor: color,
    backgroundColor: color,
    pointRadius: s.values.length > 60 ? 0 : 2,
    borderWidth: 1.5,
    spanGaps: false,
  });
  return {
    type: 'line',
    data: { datasets: [line('Baseline', pair.control, COLORS.baseline), line('Canary', pair.experiment, COLORS.canary)] },
    options: {
      ...base,
      parsing: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'time since start (m:ss)' }, ticks: { callback: (v) => clockOffset(Number(v)) } },
        y: { beginAtZero: true },
      },
      plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { title: (items) => clockOffset(items[0]?.parsed.x ?? 0) } } },
    },
  };
}

/**
 * "0.0049–0.0051": bin ranges with just enough decimals to tell neighbouring bins apart, however
 * narrow the values' spread (latencies in seconds vary in the fourth decimal).
 */
export function binLabels(edges: readonly number[]): string[] {
  if (edges.length < 2) return [];
  const width = Math.abs(edges[1]! - edges[0]!) || 1;
  const digits = Math.min(12, Math.max(0, Math.ceil(-Math.log10(width)) + 1));
  const fmt = (n: number) => String(Number(n.toFixed(digits)));
  return edges.slice(1).map((to, i) => `${fmt(edges[i]!)}–${fmt(to)}`);
}

/** How the values of one metric spread on each side: a histogram on shared bins. */
export function distributionChart(pair: { control: MetricSeries; experiment: MetricSeries }): ChartConfiguration<'bar'> {
  const h = histogram(pair.control.values, pair.experiment.values);
  const labels = binLabels(h.edges);
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'Baseline', data: h.control, backgroundColor: `${COLORS.baseline}b3` },
        { label: 'Canary', data: h.experiment, backgroundColor: `${COLORS.canary}b3` },
      ],
    },
    options: {
      ...base,
      scales: { x: { title: { display: true, text: 'value' } }, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'points' } } },
      plugins: { legend: { position: 'bottom' } },
    },
  };
}
