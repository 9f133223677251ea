import { describe, expect, it } from 'vitest';
import { checkScrapeCoverage, scrapeCoverage, seriesCoverage, type ScopeCoverage } from './coverage.ts';

const window = { startMs: 100_000, endMs: 160_000, stepSec: 10 };

describe('scrapeCoverage', () => {
  it('counts the steps with a scrape of some instance inside them, and names the oldest scrape held', () => {
    // Steps end at 100, 110, …, 160 s and each covers the 10 s before its end.
    const a = [40_000, 95_000, 105_000, 150_000];
    const b = [131_000, 160_000];
    expect(scrapeCoverage('g', window, [a, b])).toEqual({ scope: 'g', ...window, steps: 7, stepsWithData: 5, firstSampleMs: 40_000 });
    expect(scrapeCoverage('g', window, [])).toMatchObject({ steps: 7, stepsWithData: 0, firstSampleMs: null });
  });
});

describe('seriesCoverage', () => {
  it('counts the steps where some metric has a value; the first such step is the first sample', () => {
    const series = (values: (number | null)[]) => ({ startMs: window.startMs, stepSec: 10, values });
    const got = seriesCoverage('g', window, [series([null, null, 1, null, null, null, null]), series([null, null, null, 0, null, 2, null])]);
    expect(got).toEqual({ scope: 'g', ...window, steps: 7, stepsWithData: 3, firstSampleMs: 120_000 });
  });
});

describe('checkScrapeCoverage', () => {
  const coverage = (firstSampleMs: number | null): ScopeCoverage => ({ scope: 'g', ...window, steps: 7, stepsWithData: 7, firstSampleMs });
  it.each([
    { rule: 'samples from before the window', first: 40_000, registeredAtMs: 0, ok: true },
    { rule: 'the first sample two steps into the window (scrape timing)', first: 120_000, registeredAtMs: 0, ok: true },
    { rule: 'the first sample three steps in: a restart', first: 130_000, registeredAtMs: 0, ok: false },
    { rule: 'a restart, for a registration kept before its time was', first: 130_000, registeredAtMs: undefined, ok: false },
    { rule: 'no sample at all', first: null, registeredAtMs: 0, ok: false },
    { rule: 'registered after the window started, first sample then', first: 135_000, registeredAtMs: 130_000, ok: true },
    { rule: 'registered after the window started, samples lost since', first: 155_000, registeredAtMs: 130_000, ok: false },
    { rule: 'registered as the window ended: nothing to expect', first: null, registeredAtMs: 150_000, ok: true },
  ])('$rule: ok=$ok', ({ first, registeredAtMs, ok }) => {
    const check = () => checkScrapeCoverage(coverage(first), { stepSec: 10, registeredAtMs });
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(/^the window starts at 1970-01-01T00:01:40\.000Z, but the agent has (no samples of it|samples of it only since .*): it restarted, .* use lookbackMins ≤ 120$/);
  });

  it('allows two scrape intervals when the group is scraped more slowly than the canary steps', () => {
    expect(() => checkScrapeCoverage(coverage(140_000), { stepSec: 20, registeredAtMs: 0 })).not.toThrow();
    expect(() => checkScrapeCoverage(coverage(141_000), { stepSec: 20, registeredAtMs: 0 })).toThrow(/only since 1970-01-01T00:02:21\.000Z/);
  });
});
