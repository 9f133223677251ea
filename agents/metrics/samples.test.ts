import { describe, expect, it } from 'vitest';
import { enforcePointCap, InstanceSamples, seriesKey } from './samples.ts';

const s = (name: string, value: number, labels: Record<string, string> = {}) => ({ name, labels, value, timestampMs: null });

describe('InstanceSamples', () => {
  it('aligns every series with the scrape times, NaN where a scrape lacked it', () => {
    const store = new InstanceSamples();
    store.record(1000, [s('a', 1)]);
    store.record(2000, [s('a', 2), s('b', 5, { code: '500' })]);
    store.record(3000, [s('b', 6, { code: '500' })]);
    expect(store.read(0, 10_000)).toEqual({
      timesMs: [1000, 2000, 3000],
      series: [
        { name: 'a', labels: {}, values: [1, 2, NaN] },
        { name: 'b', labels: { code: '500' }, values: [NaN, 5, 6] },
      ],
    });
    expect(store.read(1500, 2500, new Set(['b']))).toEqual({ timesMs: [2000], series: [{ name: 'b', labels: { code: '500' }, values: [5] }] });
    expect(store.read(4000, 5000)).toEqual({ timesMs: [], series: [] });
  });

  it('keeps at most maxScrapes (give or take a sixteenth) and nothing older than the retention', () => {
    const store = new InstanceSamples({ retentionMs: 1_000_000, maxScrapes: 32, maxSeries: 10 });
    for (let t = 0; t < 100; t++) store.record(t * 1000, [s('a', t)]);
    expect(store.scrapes).toBeGreaterThanOrEqual(32);
    expect(store.scrapes).toBeLessThanOrEqual(34);
    expect(store.read(0, 1e9).series[0]!.values.at(-1)).toBe(99);

    const aging = new InstanceSamples({ retentionMs: 10_000, maxScrapes: 1000, maxSeries: 10 });
    for (let t = 0; t < 100; t++) aging.record(t * 1000, [s('a', t)]);
    const kept = aging.read(0, 1e9).timesMs;
    expect(kept[0]).toBeGreaterThanOrEqual(99_000 - 10_000 * 1.1);
  });

  it('forgets a series absent for the whole retention, and turns away series beyond the limit', () => {
    const store = new InstanceSamples({ retentionMs: 5_000, maxScrapes: 100, maxSeries: 2 });
    store.record(0, [s('gone', 1), s('a', 1), s('over', 1)]);
    expect(store.takeDropped()).toBe(1);
    expect(store.takeDropped()).toBe(0);
    for (let t = 1; t < 20; t++) store.record(t * 1000, [s('a', t)]);
    expect(store.read(0, 1e9).series.map((x) => x.name)).toEqual(['a']);
  });
});

describe('enforcePointCap', () => {
  /** An instance scraped every second from `fromSec` to `toSec`, with `series` series. */
  const scraped = (fromSec: number, toSec: number, series: number) => {
    const store = new InstanceSamples({ retentionMs: 1e9, maxScrapes: 1e6, maxSeries: 100 });
    for (let t = fromSec; t < toSec; t++) store.record(t * 1000, Array.from({ length: series }, (_, i) => s(`m${i}`, t)));
    return store;
  };

  it('forgets the scrapes before one cutoff time, whichever instance took them, down to a sixteenth under the cap', () => {
    const old = scraped(0, 100, 2); // 200 values, scraped from 0 s
    const chatty = scraped(50, 150, 10); // 1000 values, scraped from 50 s
    expect(enforcePointCap([old, chatty], 1200)).toBe(0);

    // 1200 held, 937 wanted: 2 values a second before 50 s, 12 after, so the cutoff is 64 s.
    expect(enforcePointCap([old, chatty], 1000)).toBe(2 * 64 + 10 * 14);
    expect([old.firstAtMs, chatty.firstAtMs]).toEqual([64_000, 64_000]);
    expect(old.points + chatty.points).toBeLessThanOrEqual(1000 - 1000 / 16);
    expect(chatty.read(0, 1e9).series[0]!.values.at(-1)).toBe(149);
    expect(old.read(0, 1e9).series[0]!.values.at(-1)).toBe(99);
  });

  it('empties every store if it must', () => {
    const a = scraped(0, 10, 3);
    const b = scraped(5, 8, 1);
    expect(enforcePointCap([a, b], 0)).toBe(33);
    expect([a.points, b.points, a.firstAtMs, b.firstAtMs]).toEqual([0, 0, undefined, undefined]);
  });
});

describe('seriesKey', () => {
  it('is the same whatever the label order', () => {
    expect(seriesKey('x', { b: '2', a: '1' })).toBe(seriesKey('x', { a: '1', b: '2' }));
    expect(seriesKey('x', { a: '"' })).toBe('x{a="\\""}');
  });
});
