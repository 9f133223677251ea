/**
 * Execution windows (`restrictExecutionDuringTimeWindow`): when a stage may start, given the
 * allowed hours and days in the application's time zone. Pure: clock and randomness come in.
 *
 * A window is read on the wall clock of the time zone: an instant is inside when its local
 * weekday and time fall in it. So on a spring-forward day a window 02:30–04:00 in Europe/Paris
 * opens at 03:00 (02:30 never happens), and on a fall-back day a window inside the repeated hour
 * opens at its first occurrence and again at its second.
 */
import type { z } from 'zod';
import { stageBase } from '../../contract/stages/common.ts';

/** `restrictedExecutionWindow` as a pipeline may hold it (defaults not yet applied). */
export type RestrictedWindow = NonNullable<z.input<typeof stageBase.restrictedExecutionWindow>>;

/** A window that can never open, or a time zone that does not exist; `field` names the culprit. */
export class ExecutionWindowError extends Error {
  readonly field: string;
  constructor(message: string, field: string) {
    super(message);
    this.name = 'ExecutionWindowError';
    this.field = field;
  }
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** How far ahead to look for a window: a week plus a day, so every weekday is seen once whole. */
const HORIZON_MS = 8 * DAY_MS;

/** A whitelist entry as minutes after local midnight; `durationMin` may run past midnight. */
interface DailyWindow { startMin: number; durationMin: number }

/** When the stage may start: `now` if inside a window, else the next window start (+ jitter). */
export function nextWindowStart(
  nowMs: number,
  window: RestrictedWindow,
  timeZone: string,
  random: () => number,
  opts?: { manual?: boolean },
): number {
  const daily = dailyWindows(window.whitelist ?? []);
  const days = allowedDays(window.days ?? []);
  const offsetAt = offsetReader(timeZone || 'UTC');

  const start = firstInstantInside(nowMs, daily, days, offsetAt);
  if (start === null) {
    throw new ExecutionWindowError('no execution window opens within the next 8 days', 'restrictedExecutionWindow');
  }
  // Already inside: start now. Jitter spreads out stages that would all start at the opening.
  if (start === nowMs) return nowMs;
  return start + jitterMs(window.jitter, random, opts?.manual ?? false);
}

function dailyWindows(whitelist: NonNullable<RestrictedWindow['whitelist']>): DailyWindow[] {
  if (whitelist.length === 0) return [{ startMin: 0, durationMin: 24 * 60 }];
  return whitelist.map((w, i) => {
    const field = `restrictedExecutionWindow.whitelist[${i}]`;
    const ok = (n: number, max: number) => Number.isInteger(n) && n >= 0 && n <= max;
    if (!ok(w.startHour, 23) || !ok(w.endHour, 23) || !ok(w.startMin, 59) || !ok(w.endMin, 59)) {
      throw new ExecutionWindowError('hours must be 0–23 and minutes 0–59', field);
    }
    const startMin = w.startHour * 60 + w.startMin;
    let endMin = w.endHour * 60 + w.endMin;
    // Equal ends: the whole day. An end before the start: the window runs past midnight.
    if (endMin === startMin) return { startMin, durationMin: 24 * 60 };
    // Spinnaker writes midnight as 23:59 (its whole day is 00:00–23:59): keep that last minute.
    if (endMin === 23 * 60 + 59) endMin = 24 * 60;
    const durationMin = endMin > startMin ? endMin - startMin : endMin + 24 * 60 - startMin;
    return { startMin, durationMin };
  });
}

/** Allowed weekdays as 0 = Sunday … 6 = Saturday; null when every day is allowed. */
function allowedDays(days: number[]): Set<number> | null {
  if (days.length === 0) return null;
  const valid = new Set(days.filter((d) => Number.isInteger(d) && d >= 1 && d <= 7).map((d) => d - 1));
  if (valid.size === 0) {
    throw new ExecutionWindowError('no valid day listed (1 = Sunday … 7 = Saturday)', 'restrictedExecutionWindow.days');
  }
  return valid;
}

/**
 * The earliest instant at or after `nowMs` whose local time is inside a window, or null. Walks the
 * horizon in stretches of constant UTC offset (an hour at most, cut at any offset change), where
 * local time is simply instant + offset and each window occurrence maps to one interval.
 */
function firstInstantInside(
  nowMs: number,
  daily: DailyWindow[],
  days: Set<number> | null,
  offsetAt: (ms: number) => number,
): number | null {
  const endMs = nowMs + HORIZON_MS;
  let from = nowMs;
  let offset = offsetAt(from);
  while (from < endMs) {
    const next = Math.min(from + HOUR_MS, endMs);
    const nextOffset = offsetAt(next);
    // Why one change per hour at most: time zones change offset a few times a year, never twice in an hour.
    const to = nextOffset === offset ? next : transitionBetween(from, next, offset, offsetAt);
    const hit = firstInSegment(from, to, offset, daily, days);
    if (hit !== null) return hit;
    from = to;
    offset = offsetAt(from);
  }
  return null;
}

/** The first millisecond in (lo, hi] whose offset differs from `offset` at lo. */
function transitionBetween(lo: number, hi: number, offset: number, offsetAt: (ms: number) => number): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid) === offset) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The earliest instant in [from, to) inside a window, with the UTC offset constant there. */
function firstInSegment(from: number, to: number, offset: number, daily: DailyWindow[], days: Set<number> | null): number | null {
  let best: number | null = null;
  // Start a day early: yesterday's window may run past midnight into this stretch.
  const firstDay = Math.floor((from + offset) / DAY_MS) - 1;
  const lastDay = Math.floor((to - 1 + offset) / DAY_MS);
  for (let day = firstDay; day <= lastDay; day++) {
    // Day 0 (1970-01-01) was a Thursday; a window belongs to the day it opens on.
    if (days && !days.has((((day + 4) % 7) + 7) % 7)) continue;
    for (const w of daily) {
      const opensAt = day * DAY_MS + w.startMin * MINUTE_MS - offset;
      const closesAt = opensAt + w.durationMin * MINUTE_MS;
      const candidate = Math.max(opensAt, from);
      if (candidate < Math.min(closesAt, to) && (best === null || candidate < best)) best = candidate;
    }
  }
  return best;
}

function jitterMs(jitter: RestrictedWindow['jitter'], random: () => number, manual: boolean): number {
  if (!jitter?.enabled || jitter.maxDelay <= 0) return 0;
  if (jitter.skipManual && manual) return 0;
  const lo = Math.min(jitter.minDelay, jitter.maxDelay);
  const hi = Math.max(jitter.minDelay, jitter.maxDelay);
  // Whole seconds in [lo, hi], both ends included, as Orca draws them.
  const sec = Math.min(hi, lo + Math.floor(random() * (hi - lo + 1)));
  return sec * 1000;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A reader of the zone's UTC offset in ms at an instant (local time = instant + offset). */
function offsetReader(timeZone: string): (ms: number) => number {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone, hourCycle: 'h23',
        year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      throw new ExecutionWindowError(`unknown time zone '${timeZone}' (expected an IANA name like Europe/Paris)`, 'timeZone');
    }
    formatters.set(timeZone, fmt);
  }
  const f = fmt;
  return (ms) => {
    const p: Record<string, number> = {};
    for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    return local - Math.floor(ms / 1000) * 1000;
  };
}
