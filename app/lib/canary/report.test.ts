import { describe, expect, it } from 'vitest';
import type { CanaryIntervalSummary } from '../../../contract/canary-reports.ts';
import { clockOffset, duration, histogram, intervalWindow, isLive, labelTone, pickInterval, resultTone, round, scoreVerdict, seriesPoints, stats, thresholdRule } from './report.ts';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;

function interval(index: number, score: number, lengthMin = 5): CanaryIntervalSummary {
  return {
    index,
    experimentStartMs: START + (index - 1) * lengthMin * MIN,
    experimentEndMs: START + index * lengthMin * MIN,
    controlStartMs: START + (index - 1) * lengthMin * MIN,
    controlEndMs: START + index * lengthMin * MIN,
    judgedAt: new Date(START + index * lengthMin * MIN).toISOString(),
    score,
    result: score >= 75 ? 'Pass' : score > 50 ? 'Marginal' : 'Fail',
    judge: { metrics: [], groups: [], summaryScore: score, result: 'Pass', reason: null },
  };
}

describe('verdicts', () => {
  it.each([
    ['Pass', 'ok'],
    ['Marginal', 'warn'],
    ['Fail', 'danger'],
    [null, 'neutral'],
  ] as const)('colours result %s as %s', (result, tone) => expect(resultTone(result)).toBe(tone));

  it.each([
    ['Pass', 'ok'],
    ['High', 'danger'],
    ['Low', 'danger'],
    ['NodataFailMetric', 'danger'],
    ['Nodata', 'neutral'],
  ] as const)('colours classification %s as %s', (label, tone) => expect(labelTone(label)).toBe(tone));

  it('refreshes only a running report', () => {
    expect(isLive('RUNNING')).toBe(true);
    for (const s of ['SUCCEEDED', 'FAILED', 'CANCELED'] as const) expect(isLive(s)).toBe(false);
  });

  it.each([
    [82, '82 ≥ pass 75'],
    [75, '75 ≥ pass 75'],
    [60.123456, '60.1235 < pass 75, > marginal 50'],
    [50, '50 ≤ marginal 50'],
    [0, '0 ≤ marginal 50'],
  ])('reads score %s against pass 75 / marginal 50 as "%s"', (score, text) => expect(scoreVerdict(score, { pass: 75, marginal: 50 })).toBe(text));

  it('states the rule the stage applies: the last interval must reach pass; at or below marginal fails at once', () => {
    const rule = thresholdRule({ pass: 80, marginal: 40 });
    expect(rule).toBe('the last interval must reach pass 80; an interval at or below marginal 40 fails the canary at once');
  });
});

describe('intervals', () => {
  const intervals = [interval(1, 90), interval(2, 70), interval(3, 40)];

  it('shows the asked-for interval, else the newest', () => {
    expect(pickInterval(intervals, 2)?.index).toBe(2);
    expect(pickInterval(intervals, null)?.index).toBe(3);
    expect(pickInterval(intervals, 7)?.index).toBe(3);
    expect(pickInterval([], 1)).toBeNull();
  });

  it('names what an interval covers from the analysis start', () => {
    expect(intervalWindow(intervals[1]!, START)).toEqual({ from: '5:00', to: '10:00', length: '5 min' });
    const long = interval(13, 80);
    expect(intervalWindow(long, START)).toEqual({ from: '1:00:00', to: '1:05:00', length: '5 min' });
  });

  it.each([
    [45_000, '45 s'],
    [60_000, '1 min'],
    [90_000, '1 min 30 s'],
    [3_900_000, '1 h 5 min'],
    [7_200_000, '2 h'],
  ])('writes %s ms as "%s"', (ms, text) => expect(duration(ms)).toBe(text));

  it('writes offsets as m:ss', () => {
    expect(clockOffset(0)).toBe('0:00');
    expect(clockOffset(75)).toBe('1:15');
    expect(clockOffset(3600 + 61)).toBe('1:01:01');
  });
});

describe('numbers', () => {
  it('rounds to 4 decimals without float noise, small values in exponent form, missing as a dash', () => {
    expect(round(0.1 + 0.2)).toBe('0.3');
    expect(round(1.234567)).toBe('1.2346');
    expect(round(0.0000123)).toBe('1.23e-5');
    expect(round(0)).toBe('0');
    expect(round(null)).toBe('—');
    expect(round(Number.NaN)).toBe('—');
  });

  it('places points by step from the series start, keeping missing values as gaps', () => {
    expect(seriesPoints({ startMs: START, stepSec: 10, values: [1, null, 3] })).toEqual([
      { x: 0, y: 1 },
      { x: 10, y: null },
      { x: 20, y: 3 },
    ]);
  });

  it('summarises a series with quartiles (linear interpolation), ignoring missing points', () => {
    expect(stats([4, null, 1, 3, 2, 5])).toEqual({ count: 5, missing: 1, min: 1, q1: 2, median: 3, q3: 4, max: 5, mean: 3 });
    expect(stats([1, 2, 3, 4])).toMatchObject({ q1: 1.75, median: 2.5, q3: 3.25 });
    expect(stats([null, null])).toEqual({ count: 0, missing: 2, min: null, q1: null, median: null, q3: null, max: null, mean: null });
  });

  it('bins both sides on shared edges, the largest value in the last bin', () => {
    const h = histogram([0, 1, 2, null], [3, 4], 4);
    expect(h.edges).toEqual([0, 1, 2, 3, 4]);
    expect(h.control).toEqual([1, 1, 1, 0]);
    expect(h.experiment).toEqual([0, 0, 0, 2]);
  });

  it('puts all-equal values in one bin and has no bins without values', () => {
    expect(histogram([0, 0], [0], 10)).toEqual({ edges: [0, 1], control: [2], experiment: [1] });
    expect(histogram([null], [], 10)).toEqual({ edges: [], control: [], experiment: [] });
  });
});
