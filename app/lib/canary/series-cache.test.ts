import { describe, expect, it } from 'vitest';
import type { CollectedMetrics } from '../../../contract/canary.ts';
import { SeriesCache, seriesKey } from './series-cache.ts';

const at = (index: number, judgedAt = `2026-01-01T12:0${index}:00.000Z`) => ({ index, judgedAt });
const seriesOf = (index: number): CollectedMetrics => ({ errors: { control: { startMs: 0, stepSec: 1, values: [index] }, experiment: { startMs: 0, stepSec: 1, values: [index, index] } } });

/** A cache over a fake API that records each interval asked for and can be made to fail. */
function cache(keep?: number) {
  const asked: number[] = [];
  const failing = new Set<number>();
  const c = new SeriesCache(async (index) => {
    asked.push(index);
    if (failing.has(index)) throw new Error(`interval ${index} unavailable`);
    return { series: seriesOf(index) };
  }, keep);
  return { c, asked, failing };
}

describe('series cache', () => {
  it('fetches an interval’s series once, however often (or how concurrently) it is shown', async () => {
    const { c, asked } = cache();
    const [a, b] = await Promise.all([c.get(at(2)), c.get(at(2))]);
    expect(a).toEqual(seriesOf(2));
    expect(b).toBe(a);
    await c.get(at(1));
    expect(await c.get(at(2))).toEqual(seriesOf(2));
    expect(asked).toEqual([2, 1]);
  });

  it('fetches a re-judged interval anew: the key is its index and when it was judged', async () => {
    const { c, asked } = cache();
    await c.get(at(1, '2026-01-01T12:00:00.000Z'));
    await c.get(at(1, '2026-01-01T13:00:00.000Z'));
    expect(asked).toEqual([1, 1]);
    expect(seriesKey(at(1, 'x'))).not.toBe(seriesKey(at(1, 'y')));
    expect(seriesKey(at(1, 'x'))).not.toBe(seriesKey(at(2, 'x')));
  });

  it('forgets a failed fetch, so picking the interval again retries it', async () => {
    const { c, asked, failing } = cache();
    failing.add(3);
    await expect(c.get(at(3))).rejects.toThrow('interval 3 unavailable');
    expect(c.size).toBe(0);
    failing.delete(3);
    expect(await c.get(at(3))).toEqual(seriesOf(3));
    expect(asked).toEqual([3, 3]);
  });

  it('keeps only the intervals used last', async () => {
    const { c, asked } = cache(2);
    await c.get(at(1));
    await c.get(at(2));
    await c.get(at(1)); // used again: 2 is now the oldest
    await c.get(at(3));
    expect(c.size).toBe(2);
    await c.get(at(1));
    await c.get(at(2));
    expect(asked).toEqual([1, 2, 3, 2]);
  });
});
