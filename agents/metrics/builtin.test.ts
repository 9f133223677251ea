import { describe, expect, it } from 'vitest';
import { builtinMetricQuery } from '../../contract/canary.ts';
import { bucketQuantile, builtinSeries, counterIncrease, metricNamesOf, spansOf, stepPoints, usableByBuiltin } from './builtin.ts';
import { parsePromText } from './prom-text.ts';
import type { ScrapedInstance } from './samples.ts';

const query = (q: Record<string, unknown>) => builtinMetricQuery.parse({ type: 'builtin', ...q });
type Def = [name: string, labels: Record<string, string>, values: number[]];
/** An instance scraped at the given seconds; each series has a value per scrape (NaN: absent). */
const instance = (seconds: number[], ...series: Def[]): ScrapedInstance => ({
  timesMs: seconds.map((s) => s * 1000),
  series: series.map(([name, labels, values]) => ({ name, labels, values })),
});
const secs = (n: number) => Array.from({ length: n }, (_, i) => i);
const window = (startSec: number, endSec: number, stepSec = 1) => ({ startMs: startSec * 1000, endMs: endSec * 1000, stepSec });
const values = (instances: ScrapedInstance[], q: Record<string, unknown>, w = window(1, 4)) => builtinSeries(instances, query(q), w).values;

describe('stepPoints', () => {
  it('starts at startMs and steps up to endMs inclusive', () => {
    expect(stepPoints({ startMs: 1000, endMs: 10_500, stepSec: 2 })).toEqual([1000, 3000, 5000, 7000, 9000]);
    expect(stepPoints({ startMs: 1000, endMs: 1000, stepSec: 5 })).toEqual([1000]);
  });
  it('refuses a window ending before it starts, or with too many steps', () => {
    expect(() => stepPoints({ startMs: 2, endMs: 1, stepSec: 1 })).toThrow(/ends .* before it starts/);
    expect(() => stepPoints({ startMs: 0, endMs: 200_000_000, stepSec: 1 })).toThrow(/at most 100000/);
  });
});

describe('builtinSeries', () => {
  it('answers {startMs, stepSec, values} with a point per step', () => {
    const inst = instance(secs(6), ['c', {}, [0, 1, 2, 3, 4, 5]]);
    expect(builtinSeries([inst], query({ metric: 'c', aggregation: 'rate' }), window(1, 5, 2))).toEqual({ startMs: 1000, stepSec: 2, values: [1, 1, 1] });
  });

  it.each([
    ['a steady counter', [0, 10, 20, 30, 40], [10, 10, 10, 10]],
    ['a counter reset (restart) counts the new value as the increase', [0, 10, 20, 5, 15], [10, 10, 5, 10]],
    ['a series missing from one scrape shows its increase when back', [0, 10, NaN, 30, 40], [10, 0, 20, 10]],
  ])('rate: %s', (_, counts, expected) => {
    expect(values([instance(secs(5), ['c', {}, counts])], { metric: 'c', aggregation: 'rate' })).toEqual(expected);
  });

  it('rate: a failed scrape (no sample at all) leaves a step without value, and the next spans the gap', () => {
    expect(values([instance([0, 1, 3, 4], ['c', {}, [0, 10, 30, 40]])], { metric: 'c', aggregation: 'rate' })).toEqual([10, null, 10, 10]);
  });

  it('rate: no value for a step without two scrapes (the first step has nothing before it)', () => {
    expect(values([instance(secs(5), ['c', {}, [0, 1, 2, 3, 4]])], { metric: 'c', aggregation: 'rate' }, window(0, 2))).toEqual([null, 1, 1]);
  });

  it('rate: per second, when scrapes are further apart than the step', () => {
    const inst = instance([0, 4, 8], ['c', {}, [0, 40, 80]]);
    expect(values([inst], { metric: 'c', aggregation: 'rate' }, window(4, 8, 4))).toEqual([10, 10]);
  });

  it('rate: sums instances and series, filtered by labels', () => {
    const a = instance(secs(3), ['req', { code: '200' }, [0, 5, 10]], ['req', { code: '500' }, [0, 1, 2]]);
    const b = instance(secs(3), ['req', { code: '200' }, [0, 3, 6]]);
    expect(values([a, b], { metric: 'req', aggregation: 'rate' }, window(1, 2))).toEqual([9, 9]);
    expect(values([a, b], { metric: 'req', aggregation: 'rate', labels: { code: '500' } }, window(1, 2))).toEqual([1, 1]);
    expect(values([a, b], { metric: 'req', aggregation: 'rate', labels: { code: '404' } }, window(1, 2))).toEqual([0, 0]);
    expect(values([a, b], { metric: 'unknown', aggregation: 'rate' }, window(1, 2))).toEqual([null, null]);
  });

  it('rate: a series that appears later counted from 0 (its first requests are not lost)', () => {
    const inst = instance(secs(4), ['req', { code: '200' }, [0, 1, 2, 3]], ['req', { code: '500' }, [NaN, NaN, 2, 3]]);
    expect(values([inst], { metric: 'req', aggregation: 'rate', labels: { code: '500' } }, window(1, 3))).toEqual([0, 2, 1]);
  });

  it('ratio: Σ increase(metric) / Σ increase(denominator) over instances; labels pick the numerator only', () => {
    const good = instance(secs(3), ['err', {}, [0, 0, 0]], ['req', { code: '200' }, [0, 10, 20]]);
    const bad = instance(secs(3), ['err', {}, [0, 5, 10]], ['req', { code: '500' }, [0, 5, 10]], ['req', { code: '200' }, [0, 5, 10]]);
    expect(values([good], { metric: 'err', aggregation: 'ratio', denominator: 'req' }, window(1, 2))).toEqual([0, 0]);
    expect(values([bad], { metric: 'err', aggregation: 'ratio', denominator: 'req' }, window(1, 2))).toEqual([0.5, 0.5]);
    expect(values([good, bad], { metric: 'err', aggregation: 'ratio', denominator: 'req' }, window(1, 2))).toEqual([0.25, 0.25]);
    expect(values([good, bad], { metric: 'req', aggregation: 'ratio', denominator: 'req', labels: { code: '500' } }, window(1, 2))).toEqual([0.25, 0.25]);
  });

  it('ratio: null when the denominator did not increase (no traffic, nothing to judge)', () => {
    const idle = instance(secs(3), ['err', {}, [3, 3, 4]], ['req', {}, [7, 7, 7]]);
    expect(values([idle], { metric: 'err', aggregation: 'ratio', denominator: 'req' }, window(1, 2))).toEqual([null, null]);
  });

  it('gauge: the latest value in the step, summed over an instance’s series, averaged over instances', () => {
    const a = instance(secs(3), ['inflight', { path: '/' }, [1, 2, 3]], ['inflight', { path: '/x' }, [1, 1, 1]]);
    const b = instance(secs(3), ['inflight', { path: '/' }, [9, 8, NaN]]);
    expect(values([a, b], { metric: 'inflight', aggregation: 'gauge' }, window(0, 2))).toEqual([(2 + 9) / 2, (3 + 8) / 2, 4]);
    expect(values([a, b], { metric: 'inflight', aggregation: 'gauge', labels: { path: '/x' } }, window(0, 2))).toEqual([1, 1, 1]);
  });

  it('gauge: no value for a step without a scrape, and none for a non-finite one', () => {
    const inst = instance([0, 3], ['g', {}, [5, Infinity]]);
    expect(values([inst], { metric: 'g', aggregation: 'gauge' }, window(0, 3))).toEqual([5, null, null, null]);
  });

  it('quantile: histogram_quantile over the bucket increases summed across instances', () => {
    const hist = (under01: number[], under05: number[], all: number[]): Def[] => [
      ['lat_bucket', { le: '0.1' }, under01],
      ['lat_bucket', { le: '0.5' }, under05],
      ['lat_bucket', { le: '+Inf' }, all],
    ];
    // Over the step: 50 requests ≤ 0.1s, 40 in (0.1, 0.5], 10 slower.
    const a = instance([0, 1], ...hist([100, 130], [200, 260], [300, 360]));
    const b = instance([0, 1], ...hist([0, 20], [0, 30], [0, 40]));
    const p = (q: number) => values([a, b], { metric: 'lat', aggregation: 'quantile', quantile: q }, window(1, 1))[0];
    expect(p(0.5)).toBeCloseTo(0.1);
    expect(p(0.75)).toBeCloseTo(0.1 + 0.4 * (25 / 40));
    expect(p(0.99)).toBe(0.5);
    expect(values([a, b], { metric: 'lat_bucket', aggregation: 'quantile', quantile: 0.5 }, window(1, 1))).toEqual([p(0.5)]);
  });

  it('quantile: label filters apply besides le; no observations means no value', () => {
    const inst = instance([0, 1], ['lat_bucket', { le: '1', path: '/' }, [0, 4]], ['lat_bucket', { le: '+Inf', path: '/' }, [0, 4]], ['lat_bucket', { le: '1', path: '/x' }, [0, 0]], ['lat_bucket', { le: '+Inf', path: '/x' }, [0, 0]]);
    expect(values([inst], { metric: 'lat', aggregation: 'quantile', quantile: 0.5, labels: { path: '/' } }, window(1, 1))).toEqual([0.5]);
    expect(values([inst], { metric: 'lat', aggregation: 'quantile', quantile: 0.5, labels: { path: '/x' } }, window(1, 1))).toEqual([null]);
  });
});

describe('counterIncrease', () => {
  it('needs two points', () => {
    expect(counterIncrease([NaN, 4, NaN], { base: 1, last: 2 })).toBeNull();
    expect(counterIncrease([NaN, NaN], { base: 0, last: 1 })).toBeNull();
  });
});

describe('bucketQuantile (Prometheus histogram_quantile)', () => {
  const buckets = (...pairs: [number, number][]) => pairs.map(([upperBound, count]) => ({ upperBound, count }));
  it.each([
    [0.5, buckets([0.1, 50], [0.5, 90], [Infinity, 100]), 0.1],
    [0.9, buckets([0.1, 50], [0.5, 90], [Infinity, 100]), 0.5],
    [0.25, buckets([Infinity, 100], [0.5, 90], [0.1, 50]), 0.05],
    [0.5, buckets([-1, 60], [1, 100], [Infinity, 100]), -1],
    [0.5, buckets([0.1, 50], [0.5, 40], [Infinity, 100]), 0.1],
    [0.5, buckets([0.1, 0], [Infinity, 0]), null],
    [0.5, buckets([0.1, 5], [1, 10]), null],
    [0.5, buckets([Infinity, 10]), null],
  ])('q=%s of %j → %s', (q, b, expected) => {
    const got = bucketQuantile(q, b);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(expected);
  });
});

describe('metricNamesOf', () => {
  it('names what each aggregation reads', () => {
    expect([...metricNamesOf(query({ metric: 'lat', aggregation: 'quantile', quantile: 0.9 }))]).toEqual(['lat_bucket']);
    expect([...metricNamesOf(query({ metric: 'e', aggregation: 'ratio', denominator: 'r' }))]).toEqual(['e', 'r']);
  });
});

describe('spansOf', () => {
  it('brackets each step by the last scrape at or before its start (else its first) and the last inside it', () => {
    // Steps end at 2, 4, 6, 8, 10 s and cover the 2 s before; no scrape in (4, 6], one alone in (0, 2].
    expect(spansOf([1000, 3000, 4000, 7000, 8000, 9500], [2000, 4000, 6000, 8000, 10_000], 2000)).toEqual([
      null,
      { base: 0, last: 2 },
      null,
      { base: 2, last: 4 },
      { base: 4, last: 5 },
    ]);
  });

  it('spans a series with a long gap in as many steps as it has, reading its values right', () => {
    // A counter scraped every second for 2 h but absent for an hour in the middle: the step after the gap spans it.
    const n = 7200;
    const values = Array.from({ length: n }, (_, i) => (i >= 1800 && i < 5400 ? NaN : i * 2));
    const series = builtinSeries([instance(secs(n), ['c', {}, values])], query({ metric: 'c', aggregation: 'rate' }), window(1, n - 1));
    const v = series.values;
    expect(v).toHaveLength(n - 1);
    expect(v.slice(0, 1799).every((x) => x === 2)).toBe(true);
    // Inside the gap the counter is absent from every scrape: no increase.
    expect(v.slice(1799, 5399).every((x) => x === 0)).toBe(true);
    // The first step after it carries the whole hour's increase, from the last value before it.
    expect(v[5399]).toBe(5400 * 2 - 1799 * 2);
    expect(v.slice(5400).every((x) => x === 2)).toBe(true);
  });
});

describe('usableByBuiltin', () => {
  it('keeps counters, gauges, histograms, untyped samples and a summary’s sum and count; drops its quantiles, info and stateset', () => {
    const text = [
      '# TYPE req_total counter', 'req_total 1',
      '# TYPE inflight gauge', 'inflight 2',
      '# TYPE lat histogram', 'lat_bucket{le="+Inf"} 3', 'lat_sum 1', 'lat_count 3',
      '# TYPE rpc summary', 'rpc{quantile="0.99"} 0.2', 'rpc_sum 4', 'rpc_count 5',
      '# TYPE build info', 'build{version="1"} 1',
      '# TYPE feature stateset', 'feature{feature="a"} 1',
      'untyped_thing 6',
    ].join('\n');
    expect(parsePromText(text, usableByBuiltin).map((x) => x.name)).toEqual(['req_total', 'inflight', 'lat_bucket', 'lat_sum', 'lat_count', 'rpc_sum', 'rpc_count', 'untyped_thing']);
  });
});
