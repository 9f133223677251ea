import { describe, expect, it } from 'vitest';
import { canaryConfig, type CollectedMetrics } from '../../../../contract/canary.ts';
import { decide, judgeInterval, thinSeries } from './analysis.ts';
import type { AnalysisWindow } from './schedule.ts';

const t = { pass: 75, marginal: 50 };

describe('decide: what one interval score means (Kayenta)', () => {
  it.each([
    { rule: 'an early interval above marginal: go on', score: 60, index: 1, planned: 3, kind: 'continue' },
    { rule: 'an early interval at marginal: fail at once', score: 50, index: 1, planned: 3, kind: 'fail' },
    { rule: 'an early interval below marginal: fail at once', score: 10, index: 2, planned: 3, kind: 'fail' },
    { rule: 'the last interval at pass: pass', score: 75, index: 3, planned: 3, kind: 'pass' },
    { rule: 'the last interval between marginal and pass: fail (Marginal is not a pass)', score: 74.99, index: 3, planned: 3, kind: 'fail' },
    { rule: 'a single interval at 100: pass', score: 100, index: 1, planned: 1, kind: 'pass' },
  ])('$rule', ({ score, index, planned, kind }) => {
    expect(decide(score, t, index, planned).kind).toBe(kind);
  });

  it('says why, with the numbers', () => {
    expect(decide(40, t, 2, 3)).toEqual({ kind: 'fail', reason: 'interval 2 of 3 scored 40 ≤ marginal 50' });
    expect(decide(80, t, 3, 3)).toEqual({ kind: 'pass', reason: 'the last interval (3 of 3) scored 80 ≥ pass 75' });
  });
});

const series = (values: (number | null)[], stepSec = 10) => ({ startMs: 0, stepSec, values });

describe('thinSeries: what a report row keeps', () => {
  it('keeps series that fit as they are', () => {
    const s: CollectedMetrics = { m: { control: series([1, 2, 3]), experiment: series([4, 5, 6]) } };
    expect(thinSeries(s, 10_000)).toEqual(s);
  });

  it('keeps every k-th point, widening the step, until the series fit', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    const thin = thinSeries({ m: { control: series(values), experiment: series(values) } }, 3000);
    expect(JSON.stringify(thin).length).toBeLessThanOrEqual(3000);
    expect(thin.m!.control.stepSec % 10).toBe(0);
    const every = thin.m!.control.stepSec / 10;
    expect(every).toBeGreaterThan(1);
    expect(thin.m!.control.values).toEqual(values.filter((_, i) => i % every === 0));
  });
});

describe('judgeInterval', () => {
  const config = canaryConfig.parse({
    metrics: [
      { name: 'errors', groups: ['errors'], analysisConfigurations: { canary: { direction: 'increase', critical: true } } },
      { name: 'latency', groups: ['latency'], analysisConfigurations: { canary: { direction: 'increase' } } },
    ],
  });
  const window: AnalysisWindow = { index: 2, experiment: { startMs: 1000, endMs: 2000 }, control: { startMs: 900, endMs: 1900 } };
  const ramp = (n: number, add = 0) => Array.from({ length: n }, (_, i) => ((i * 7) % 13) + add);

  it('judges the series with the stage thresholds and keeps the windows and series', () => {
    const metrics = { errors: { control: series(ramp(30)), experiment: series(ramp(30)) }, latency: { control: series(ramp(30)), experiment: series([...ramp(29), null]) } };
    const judged = judgeInterval(config, { pass: 90, marginal: 80 }, { metrics }, window, 5000);
    expect(judged.ok).toBe(true);
    if (!judged.ok) return;
    expect(judged.interval).toMatchObject({ index: 2, experimentStartMs: 1000, experimentEndMs: 2000, controlStartMs: 900, controlEndMs: 1900, judgedAt: 5000, score: 100, result: 'Pass', series: metrics });
    expect(judged.interval.judge.metrics.map((m) => m.label)).toEqual(['Pass', 'Pass']);
  });

  it('a critical metric far worse on the canary scores 0', () => {
    const metrics = { errors: { control: series(ramp(30)), experiment: series(ramp(30, 100)) }, latency: { control: series(ramp(30)), experiment: series(ramp(30)) } };
    const judged = judgeInterval(config, t, { metrics }, window, 5000);
    expect(judged).toMatchObject({ ok: true, interval: { score: 0, result: 'Fail' } });
  });

  it('a metric the agent sent nothing for is judged as having no data', () => {
    const metrics = { errors: { control: series(ramp(30)), experiment: series(ramp(30)) } };
    const judged = judgeInterval(config, t, { metrics }, window, 5000);
    expect(judged.ok && judged.interval.judge.metrics.find((m) => m.name === 'latency')!.label).toBe('Nodata');
  });

  it.each([
    { rule: 'no metrics at all', details: {}, message: "interval 2: the agent's answer has no metrics (result.details.metrics)" },
    {
      rule: 'a value that is not a number',
      details: { metrics: { errors: { control: series([1, 'x' as never]), experiment: series([1]) } } },
      message: "interval 2: the agent's metrics are malformed: result.details.metrics.errors.control.values[1]",
    },
    { rule: 'a metric without its experiment side', details: { metrics: { errors: { control: series([1]) } } }, message: "interval 2: the agent's metrics are malformed: result.details.metrics.errors.experiment" },
  ])('refuses a malformed answer, naming the path: $rule', ({ details, message }) => {
    const judged = judgeInterval(config, t, details, window, 5000);
    expect(judged.ok).toBe(false);
    if (!judged.ok) expect(judged.message).toContain(message);
  });
});
