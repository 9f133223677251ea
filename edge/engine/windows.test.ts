import { describe, expect, it } from 'vitest';
import { ExecutionWindowError, nextWindowStart, type RestrictedWindow } from './windows.ts';

const at = (iso: string) => Date.parse(iso);
const hours = (startHour: number, startMin: number, endHour: number, endMin: number) => ({ startHour, startMin, endHour, endMin });
const never = () => {
  throw new Error('random() called without jitter');
};

/** mulberry32: a small seeded generator, so jitter tests are repeatable. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// 2026-01-05 is a Monday. Days: 1 = Sunday … 7 = Saturday.
const cases: { name: string; now: string; window: RestrictedWindow; tz?: string; expected: string }[] = [
  { name: 'no hours, no days: any time', now: '2026-01-07T03:17:00Z', window: {}, expected: '2026-01-07T03:17:00Z' },
  { name: 'inside a window', now: '2026-01-05T10:00:00Z', window: { whitelist: [hours(9, 0, 17, 0)] }, expected: '2026-01-05T10:00:00Z' },
  { name: 'before the window: today', now: '2026-01-05T07:00:00Z', window: { whitelist: [hours(9, 0, 17, 0)] }, expected: '2026-01-05T09:00:00Z' },
  { name: 'after the window: tomorrow', now: '2026-01-05T18:00:00Z', window: { whitelist: [hours(9, 0, 17, 0)] }, expected: '2026-01-06T09:00:00Z' },
  { name: 'the start is inside', now: '2026-01-05T09:00:00Z', window: { whitelist: [hours(9, 0, 17, 0)] }, expected: '2026-01-05T09:00:00Z' },
  { name: 'the end is outside', now: '2026-01-05T17:00:00Z', window: { whitelist: [hours(9, 0, 17, 0)] }, expected: '2026-01-06T09:00:00Z' },
  { name: 'minutes count', now: '2026-01-05T09:20:00Z', window: { whitelist: [hours(9, 30, 9, 45)] }, expected: '2026-01-05T09:30:00Z' },
  { name: 'the nearest of several windows', now: '2026-01-05T10:30:00Z', window: { whitelist: [hours(13, 0, 14, 0), hours(9, 0, 10, 0)] }, expected: '2026-01-05T13:00:00Z' },
  { name: 'wrap-around, before midnight', now: '2026-01-05T23:00:00Z', window: { whitelist: [hours(22, 0, 2, 0)] }, expected: '2026-01-05T23:00:00Z' },
  { name: 'wrap-around, after midnight', now: '2026-01-06T01:59:00Z', window: { whitelist: [hours(22, 0, 2, 0)] }, expected: '2026-01-06T01:59:00Z' },
  { name: 'wrap-around, after it closed', now: '2026-01-06T02:00:00Z', window: { whitelist: [hours(22, 0, 2, 0)] }, expected: '2026-01-06T22:00:00Z' },
  { name: 'wrap-around belongs to the day it opens (Monday night into Tuesday)', now: '2026-01-06T01:00:00Z', window: { whitelist: [hours(22, 0, 2, 0)], days: [2] }, expected: '2026-01-06T01:00:00Z' },
  { name: "wrap-around: Sunday's night is not Monday's", now: '2026-01-05T01:00:00Z', window: { whitelist: [hours(22, 0, 2, 0)], days: [2] }, expected: '2026-01-05T22:00:00Z' },
  { name: 'equal ends: the whole day', now: '2026-01-05T03:00:00Z', window: { whitelist: [hours(5, 0, 5, 0)] }, expected: '2026-01-05T03:00:00Z' },
  { name: "23:59 is Spinnaker's midnight", now: '2026-01-05T23:59:30Z', window: { whitelist: [hours(0, 0, 23, 59)] }, expected: '2026-01-05T23:59:30Z' },
  { name: 'days only: the weekend', now: '2026-01-07T10:00:00Z', window: { days: [1, 7] }, expected: '2026-01-10T00:00:00Z' },
  { name: 'days and hours: Saturday morning', now: '2026-01-07T10:00:00Z', window: { whitelist: [hours(9, 0, 17, 0)], days: [7] }, expected: '2026-01-10T09:00:00Z' },
  { name: 'today is allowed but its window has passed: next allowed day', now: '2026-01-05T18:00:00Z', window: { whitelist: [hours(9, 0, 17, 0)], days: [2] }, expected: '2026-01-12T09:00:00Z' },
  { name: 'time zone: New York business hours', now: '2026-01-05T13:00:00Z', tz: 'America/New_York', window: { whitelist: [hours(9, 0, 17, 0)] }, expected: '2026-01-05T14:00:00Z' },
  { name: 'time zone: the local weekday decides', now: '2026-01-06T03:00:00Z', tz: 'America/New_York', window: { days: [2] }, expected: '2026-01-06T03:00:00Z' },
  // Europe/Paris springs forward on 2026-03-29 at 02:00 (CET, +01) to 03:00 (CEST, +02).
  { name: 'Paris spring forward: hours across the switch', now: '2026-03-28T18:00:00+01:00', tz: 'Europe/Paris', window: { whitelist: [hours(9, 0, 17, 0)] }, expected: '2026-03-29T09:00:00+02:00' },
  { name: 'Paris spring forward: a start that never happens opens at the jump', now: '2026-03-29T01:00:00+01:00', tz: 'Europe/Paris', window: { whitelist: [hours(2, 30, 4, 0)] }, expected: '2026-03-29T03:00:00+02:00' },
  // Europe/Paris falls back on 2026-10-25 at 03:00 (CEST) to 02:00 (CET): 02:00–03:00 happens twice.
  { name: 'Paris fall back: inside the first 02:xx', now: '2026-10-25T02:10:00+02:00', tz: 'Europe/Paris', window: { whitelist: [hours(2, 0, 2, 30)] }, expected: '2026-10-25T02:10:00+02:00' },
  { name: 'Paris fall back: the window opens again in the second 02:xx', now: '2026-10-25T02:40:00+02:00', tz: 'Europe/Paris', window: { whitelist: [hours(2, 0, 2, 30)] }, expected: '2026-10-25T02:00:00+01:00' },
  // America/New_York springs forward on 2026-03-08 (02:00 EST → 03:00 EDT), falls back on 2026-11-01 (02:00 EDT → 01:00 EST).
  { name: 'New York spring forward: next morning in EDT', now: '2026-03-07T18:00:00-05:00', tz: 'America/New_York', window: { whitelist: [hours(9, 0, 17, 0)] }, expected: '2026-03-08T09:00:00-04:00' },
  { name: 'New York fall back: next morning in EST', now: '2026-10-31T18:00:00-04:00', tz: 'America/New_York', window: { whitelist: [hours(9, 0, 17, 0)] }, expected: '2026-11-01T09:00:00-05:00' },
  { name: 'New York fall back: the repeated 01:xx opens the window again', now: '2026-11-01T01:50:00-04:00', tz: 'America/New_York', window: { whitelist: [hours(1, 15, 1, 45)] }, expected: '2026-11-01T01:15:00-05:00' },
  { name: 'New York: a wrap-around window over the fall-back night', now: '2026-10-31T21:00:00-04:00', tz: 'America/New_York', window: { whitelist: [hours(23, 0, 3, 0)], days: [7] }, expected: '2026-10-31T23:00:00-04:00' },
];

describe('nextWindowStart', () => {
  it.each(cases)('$name', ({ now, window, tz, expected }) => {
    const got = nextWindowStart(at(now), window, tz ?? 'UTC', never);
    expect(new Date(got).toISOString()).toBe(new Date(at(expected)).toISOString());
  });

  it('stays inside a wrap-around window through the fall-back hour', () => {
    const window: RestrictedWindow = { whitelist: [hours(23, 0, 3, 0)], days: [7] };
    // Every 10 minutes from Saturday 23:00 EDT to Sunday 03:00 EST (five real hours): inside all along.
    for (let t = at('2026-10-31T23:00:00-04:00'); t < at('2026-11-01T03:00:00-05:00'); t += 600_000) {
      expect(nextWindowStart(t, window, 'America/New_York', never)).toBe(t);
    }
    expect(nextWindowStart(at('2026-11-01T03:00:00-05:00'), window, 'America/New_York', never)).toBe(at('2026-11-07T23:00:00-05:00'));
  });

  it('defaults an empty time zone to UTC', () => {
    expect(nextWindowStart(at('2026-01-05T07:00:00Z'), { whitelist: [hours(9, 0, 17, 0)] }, '', never)).toBe(at('2026-01-05T09:00:00Z'));
  });

  it.each([
    { name: 'no valid day', window: { days: [0, 8] }, tz: 'UTC', field: 'restrictedExecutionWindow.days' },
    { name: 'an hour out of range', window: { whitelist: [hours(25, 0, 3, 0)] }, tz: 'UTC', field: 'restrictedExecutionWindow.whitelist[0]' },
    { name: 'an unknown time zone', window: {}, tz: 'Mars/Olympus_Mons', field: 'timeZone' },
  ])('throws a clear error for $name', ({ window, tz, field }) => {
    const call = () => nextWindowStart(at('2026-01-05T07:00:00Z'), window, tz, never);
    expect(call).toThrow(ExecutionWindowError);
    try {
      call();
    } catch (e) {
      expect((e as ExecutionWindowError).field).toBe(field);
    }
  });
});

describe('nextWindowStart jitter', () => {
  const opens = at('2026-01-05T09:00:00Z');
  const before = at('2026-01-05T07:00:00Z');
  const base = { whitelist: [hours(9, 0, 17, 0)] };
  const jitter = (extra: Partial<NonNullable<RestrictedWindow['jitter']>> = {}): RestrictedWindow => ({
    ...base, jitter: { enabled: true, minDelay: 30, maxDelay: 90, ...extra },
  });

  it('adds whole seconds within [minDelay, maxDelay], reaching both ends', () => {
    const random = seeded(42);
    const delays = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const delayMs = nextWindowStart(before, jitter(), 'UTC', random) - opens;
      expect(delayMs % 1000).toBe(0);
      expect(delayMs).toBeGreaterThanOrEqual(30_000);
      expect(delayMs).toBeLessThanOrEqual(90_000);
      delays.add(delayMs);
    }
    expect(delays.has(30_000)).toBe(true);
    expect(delays.has(90_000)).toBe(true);
  });

  it.each([
    { name: 'random() = 0 gives minDelay', random: () => 0, opts: {}, window: jitter(), delayMs: 30_000 },
    { name: 'random() just under 1 gives maxDelay', random: () => 0.999999999, opts: {}, window: jitter(), delayMs: 90_000 },
    { name: 'disabled: none', random: never, opts: {}, window: jitter({ enabled: false }), delayMs: 0 },
    { name: 'maxDelay 0: none', random: never, opts: {}, window: jitter({ minDelay: 0, maxDelay: 0 }), delayMs: 0 },
    { name: 'skipManual on a manual run: none', random: never, opts: { manual: true }, window: jitter({ skipManual: true }), delayMs: 0 },
    { name: 'skipManual on an automatic run: jitter', random: () => 0, opts: { manual: false }, window: jitter({ skipManual: true }), delayMs: 30_000 },
    { name: 'manual run without skipManual: jitter', random: () => 0, opts: { manual: true }, window: jitter(), delayMs: 30_000 },
    { name: 'min above max: the range is read both ways', random: () => 0, opts: {}, window: jitter({ minDelay: 90, maxDelay: 30 }), delayMs: 30_000 },
  ])('$name', ({ random, opts, window, delayMs }) => {
    expect(nextWindowStart(before, window, 'UTC', random, opts) - opens).toBe(delayMs);
  });

  it('adds none when already inside the window', () => {
    const now = at('2026-01-05T10:00:00Z');
    expect(nextWindowStart(now, jitter(), 'UTC', never)).toBe(now);
  });
});
