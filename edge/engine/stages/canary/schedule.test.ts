import { describe, expect, it } from 'vitest';
import { analysisSchedule, analysisWindow, intervalCount, type ScheduleSettings } from './schedule.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const MIN = 60_000;
const base: ScheduleSettings = { lifetimeMins: 60, beginCanaryAnalysisAfterMins: 0, baselineAnalysisOffsetInMins: 0, lookbackMins: 0 };

/** A window as minutes after t0: `[start, end]`. */
const mins = (w: { startMs: number; endMs: number }) => [(w.startMs - T0) / MIN, (w.endMs - T0) / MIN];

describe('intervalCount: whole intervals in the lifetime, at least one', () => {
  it.each([
    { rule: 'no interval given: one analysis at the end', s: { lifetimeMins: 60 }, n: 1 },
    { rule: 'an hour in 15-minute intervals', s: { lifetimeMins: 60, analysisIntervalMins: 15 }, n: 4 },
    { rule: 'a partial last interval is dropped', s: { lifetimeMins: 50, analysisIntervalMins: 15 }, n: 3 },
    { rule: 'an interval longer than the lifetime still analyses once', s: { lifetimeMins: 10, analysisIntervalMins: 30 }, n: 1 },
    { rule: 'fractions that are not exact in binary count whole (0.3 / 0.1 = 3)', s: { lifetimeMins: 0.3, analysisIntervalMins: 0.1 }, n: 3 },
    { rule: 'seconds-long canaries for tests (0.05 min in 0.025 min steps)', s: { lifetimeMins: 0.05, analysisIntervalMins: 0.025 }, n: 2 },
  ])('$rule', ({ s, n }) => {
    expect(intervalCount(s)).toBe(n);
  });
});

describe('analysisSchedule: what each analysis covers (Kayenta)', () => {
  it.each([
    {
      rule: 'growing windows from the start: interval i covers [t0, t0 + i·interval]',
      s: { ...base, analysisIntervalMins: 20 },
      experiment: [[0, 20], [0, 40], [0, 60]],
      control: [[0, 20], [0, 40], [0, 60]],
    },
    {
      rule: 'warm-up delays the start and every end',
      s: { ...base, analysisIntervalMins: 20, beginCanaryAnalysisAfterMins: 5 },
      experiment: [[5, 25], [5, 45], [5, 65]],
      control: [[5, 25], [5, 45], [5, 65]],
    },
    {
      rule: 'lookback: each window is the last lookbackMins before its end (sliding)',
      s: { ...base, analysisIntervalMins: 20, beginCanaryAnalysisAfterMins: 5, lookbackMins: 10 },
      experiment: [[15, 25], [35, 45], [55, 65]],
      control: [[15, 25], [35, 45], [55, 65]],
    },
    {
      rule: 'the baseline offset shifts only the control window back',
      s: { ...base, analysisIntervalMins: 30, baselineAnalysisOffsetInMins: 7 },
      experiment: [[0, 30], [0, 60]],
      control: [[-7, 23], [-7, 53]],
    },
    {
      rule: 'an interval longer than the lifetime is clamped to it (Kayenta): one window ending with the lifetime',
      s: { ...base, lifetimeMins: 10, analysisIntervalMins: 30, beginCanaryAnalysisAfterMins: 2 },
      experiment: [[2, 12]],
      control: [[2, 12]],
    },
    {
      rule: 'no interval: one window over the whole lifetime after warm-up',
      s: { ...base, lifetimeMins: 30, beginCanaryAnalysisAfterMins: 2 },
      experiment: [[2, 32]],
      control: [[2, 32]],
    },
  ])('$rule', ({ s, experiment, control }) => {
    const windows = analysisSchedule(s, T0);
    expect(windows.map((w) => w.index)).toEqual(experiment.map((_, i) => i + 1));
    expect(windows.map((w) => mins(w.experiment))).toEqual(experiment);
    expect(windows.map((w) => mins(w.control))).toEqual(control);
  });

  it('fractions of minutes become whole milliseconds (0.05 min lifetime, 0.025 min intervals = 1.5 s each)', () => {
    const windows = analysisSchedule({ ...base, lifetimeMins: 0.05, analysisIntervalMins: 0.025 }, T0);
    expect(windows.map((w) => [w.experiment.startMs - T0, w.experiment.endMs - T0])).toEqual([[0, 1500], [0, 3000]]);
  });
});

describe('analysisWindow: window i on demand, as the schedule has it', () => {
  it('matches the schedule for every index', () => {
    const s = { ...base, analysisIntervalMins: 7, beginCanaryAnalysisAfterMins: 3, lookbackMins: 5, baselineAnalysisOffsetInMins: 2 };
    const schedule = analysisSchedule(s, T0);
    expect(schedule).toHaveLength(8);
    expect(schedule.map((w) => analysisWindow(s, T0, w.index))).toEqual(schedule);
  });

  it('the 1000th of a week in ~10-minute intervals needs no array of the others', () => {
    const w = analysisWindow({ ...base, lifetimeMins: 10080, analysisIntervalMins: 10.08 }, T0, 1000);
    expect(mins(w.experiment)).toEqual([0, 10080]);
  });
});
