import { describe, expect, it } from 'vitest';
import type { CanaryIntervalSummary } from '../../../contract/canary-reports.ts';
import { binLabels, COLORS, distributionChart, scoreChart, seriesChart } from './charts.ts';

const pair = {
  control: { startMs: 0, stepSec: 30, values: [1, 2, null, 2] },
  experiment: { startMs: 5_000, stepSec: 30, values: [3, 4, 4, 5] },
};

const scored = (index: number, score: number) => ({ index, score }) as CanaryIntervalSummary;

describe('score chart', () => {
  it('plots each judged interval at its index, leaving the planned ones still to come empty', () => {
    const c = scoreChart([scored(1, 100), scored(2, 62.5)], { pass: 75, marginal: 50 }, 4);
    expect(c.data.labels).toEqual(['#1', '#2', '#3', '#4']);
    const [score, pass, marginal] = c.data.datasets;
    expect(score!.data).toEqual([100, 62.5, null, null]);
    expect(pass).toMatchObject({ label: 'Pass (75)', data: [75, 75, 75, 75] });
    expect(marginal).toMatchObject({ label: 'Marginal (50)', data: [50, 50, 50, 50] });
    expect(c.options?.scales?.y).toMatchObject({ min: 0, max: 100 });
  });

  it('has room for more intervals than planned (a run extended) and for none yet', () => {
    expect(scoreChart([scored(1, 80), scored(2, 80)], { pass: 75, marginal: 50 }, 1).data.labels).toHaveLength(2);
    expect(scoreChart([], { pass: 75, marginal: 50 }, 0).data.datasets[0]!.data).toEqual([null]);
  });
});

describe('metric charts', () => {
  it('draws baseline and canary as time series from their own starts, gaps kept', () => {
    const c = seriesChart(pair);
    const [baseline, canary] = c.data.datasets;
    expect(baseline).toMatchObject({ label: 'Baseline', borderColor: COLORS.baseline, spanGaps: false });
    expect(baseline!.data).toEqual([{ x: 0, y: 1 }, { x: 30, y: 2 }, { x: 60, y: null }, { x: 90, y: 2 }]);
    expect(canary).toMatchObject({ label: 'Canary', borderColor: COLORS.canary });
    expect(canary!.data[3]).toEqual({ x: 90, y: 5 });
  });

  it('draws both distributions on the same bins, labelled by range', () => {
    const c = distributionChart(pair);
    const [baseline, canary] = c.data.datasets;
    const total = (d: unknown[]) => (d as number[]).reduce((a, b) => a + b, 0);
    expect(total(baseline!.data)).toBe(3);
    expect(total(canary!.data)).toBe(4);
    expect(c.data.labels?.[0]).toBe('1–1.33');
    expect(c.data.labels?.at(-1)).toBe('4.67–5');
  });

  it('labels bins with enough decimals to tell narrow ones apart', () => {
    expect(binLabels([0.0049, 0.00495, 0.005])).toEqual(['0.0049–0.00495', '0.00495–0.005']);
    expect(binLabels([0, 250, 500])).toEqual(['0–250', '250–500']);
    expect(binLabels([])).toEqual([]);
  });
});
