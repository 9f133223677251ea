import { describe, expect, it } from 'vitest';
import { judge } from './judge.ts';
import { mulberry32 } from './noise.ts';
import type { CanaryAnalysisConfig, CanaryConfig, Label } from './types.ts';

/** Seeded normal samples. */
function normal(n: number, mu: number, sd: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => mu + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

const one = (canary: CanaryAnalysisConfig = {}, classifier: CanaryConfig['classifier'] = {}): CanaryConfig =>
  ({ metrics: [{ name: 'm', groups: ['g'], analysisConfigurations: { canary } }], classifier });

const labelOf = (control: number[], experiment: number[], canary: CanaryAnalysisConfig = {}): Label =>
  judge(one(canary), { m: { control, experiment } }).metrics[0]!.label;

const swap: Record<Label, Label> = { High: 'Low', Low: 'High', Pass: 'Pass', Nodata: 'Nodata', NodataFailMetric: 'NodataFailMetric' };

describe('judge: classification table', () => {
  const base = normal(100, 10, 1, 1);
  const cases: { name: string; control: number[]; experiment: number[]; canary?: CanaryAnalysisConfig; label: Label }[] = [
    { name: 'same distribution', control: base, experiment: normal(100, 10, 1, 2), label: 'Pass' },
    { name: 'clear increase', control: base, experiment: normal(100, 20, 1, 3), label: 'High' },
    { name: 'clear decrease', control: base, experiment: normal(100, 5, 1, 4), label: 'Low' },
    { name: 'increase, direction decrease', control: base, experiment: normal(100, 20, 1, 3), canary: { direction: 'decrease' }, label: 'Pass' },
    { name: 'increase below allowedIncrease', control: base, experiment: normal(100, 12, 1, 3), canary: { effectSize: { allowedIncrease: 1.5 } }, label: 'Pass' },
    { name: 'empty canary, remove', control: base, experiment: [], label: 'Nodata' },
    { name: 'empty canary, mustHaveData', control: base, experiment: [], canary: { mustHaveData: true }, label: 'NodataFailMetric' },
    { name: 'empty canary, mustHaveData but critical', control: base, experiment: [], canary: { mustHaveData: true, critical: true }, label: 'Nodata' },
    { name: 'all NaN canary, replace', control: base, experiment: [NaN, NaN], canary: { nanStrategy: 'replace' }, label: 'Low' },
    { name: 'all NaN canary, remove', control: base, experiment: [NaN, NaN], label: 'Nodata' },
    { name: 'single distinct value overall', control: [3, 3, 3], experiment: [3, 3], label: 'Pass' },
    { name: 'single values apart', control: [1, 1, 1, 1, 1], experiment: [5, 5, 5, 5, 5], label: 'High' },
  ];
  for (const c of cases) it(c.name, () => expect(labelOf(c.control, c.experiment, c.canary)).toBe(c.label));

  it('outlier removal drops a spike that would otherwise decide', () => {
    const control = normal(50, 10, 0.1, 5);
    const experiment = [...normal(50, 10, 0.1, 6)];
    experiment[0] = 1e6;
    const r = judge(one({ outliers: { strategy: 'remove' } }), { m: { control, experiment } }).metrics[0]!;
    expect(r.experimentMean).toBeLessThan(11);
  });
});

describe('judge: properties', () => {
  const pairs = [1, 2, 3, 4, 5, 6].map((s) => [normal(60, 10, 2, s * 10), normal(60, 10 + (s - 3) * 1.5, 2, s * 10 + 1)] as const);
  it('swapping control and experiment swaps High and Low', () => {
    for (const [c, e] of pairs) expect(labelOf(e, c)).toBe(swap[labelOf(c, e)]);
  });
  it('identical data pass', () => {
    for (const [c] of pairs) expect(labelOf(c, [...c].reverse())).toBe('Pass');
  });
  it('scaling both sides by a positive constant keeps the label', () => {
    for (const [c, e] of pairs) for (const k of [0.001, 3, 1000]) expect(labelOf(c.map((v) => v * k), e.map((v) => v * k))).toBe(labelOf(c, e));
  });
});

describe('judge: scoring', () => {
  const data = { high: { control: normal(50, 10, 1, 7), experiment: normal(50, 20, 1, 8) }, ok: { control: normal(50, 10, 1, 9), experiment: normal(50, 10, 1, 10) } };
  const cfg = (high: CanaryAnalysisConfig): CanaryConfig => ({
    metrics: [{ name: 'high', groups: ['a'], analysisConfigurations: { canary: high } }, { name: 'ok', groups: ['b'] }],
    classifier: { groupWeights: { a: 40 }, scoreThresholds: { pass: 90, marginal: 50 } },
  });
  it('weights the groups', () => {
    const r = judge(cfg({}), data);
    expect(r.groups.map((g) => [g.name, g.score, g.weight])).toEqual([['a', 0, 40], ['b', 100, 60]]);
    expect(r.summaryScore).toBe(60);
    expect(r.result).toBe('Marginal');
  });
  it('a muted metric does not count', () => {
    const r = judge(cfg({ muted: true }), data);
    expect(r.summaryScore).toBe(60);
    expect(r.groups.map((g) => g.name)).toEqual(['b']);
  });
  it('a failed critical metric forces 0', () => {
    const r = judge(cfg({ critical: true }), data);
    expect(r.metrics[0]!.critical).toBe(true);
    expect([r.summaryScore, r.result]).toEqual([0, 'Fail']);
  });
  it('half the metrics without data force 0', () => {
    const r = judge(cfg({}), { ok: data.ok });
    expect([r.summaryScore, r.result]).toEqual([0, 'Fail']);
  });
});

describe('judge: speed', () => {
  it('100 metrics × 1,000 points per side in well under 50 ms', () => {
    const config: CanaryConfig = { metrics: Array.from({ length: 100 }, (_, i) => ({ name: `m${i}`, groups: [`g${i % 5}`] })) };
    const data = Object.fromEntries(config.metrics.map((m, i) => [m.name, { control: normal(1000, 100, 10, i), experiment: normal(1000, 100 + (i % 3), 10, 1000 + i) }]));
    judge(config, data);
    const t0 = performance.now();
    judge(config, data);
    // workerd's clock only moves between I/O, so this bounds Node runs and is a no-op inside workerd.
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
