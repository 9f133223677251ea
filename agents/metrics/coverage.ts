/**
 * How much of each scope's window a collection had data for, reported beside the metrics
 * (`details.coverage`), and the builtin source's refusal to judge a window its memory does not
 * reach back to: after an agent restart, or a window longer than the scrape retention, the early
 * steps would silently be missing and the judge would compare part of a window with nothing.
 */
import type { MetricSeries } from '../../contract/canary.ts';
import { stepPoints, type SeriesWindow } from './builtin.ts';
import { NOMINAL_RETENTION_MIN } from './samples.ts';

export interface ScopeCoverage {
  /** The server group. */
  scope: string;
  startMs: number;
  endMs: number;
  stepSec: number;
  /** Step points in the window. */
  steps: number;
  /** Steps with data. builtin: a scrape of some instance inside the step; prometheus: a value of some metric. */
  stepsWithData: number;
  /** builtin: the oldest scrape held (it may precede the window); prometheus: the first step with a value; null: none. */
  firstSampleMs: number | null;
}

export type Coverage = Record<'control' | 'experiment', ScopeCoverage>;

/** A builtin scope's coverage from the scrape times of its instances (each oldest first). */
export function scrapeCoverage(scope: string, window: SeriesWindow, timesPerInstance: readonly (readonly number[])[]): ScopeCoverage {
  const points = stepPoints(window);
  const stepMs = window.stepSec * 1000;
  // One pointer per instance; steps and pointers only move forward: one pass over the scrapes.
  const next = timesPerInstance.map(() => 0);
  let stepsWithData = 0;
  for (const toMs of points) {
    let scraped = false;
    timesPerInstance.forEach((times, i) => {
      while (next[i]! < times.length && times[next[i]!]! <= toMs - stepMs) next[i]!++;
      if (next[i]! < times.length && times[next[i]!]! <= toMs) scraped = true;
    });
    if (scraped) stepsWithData++;
  }
  const firsts = timesPerInstance.filter((times) => times.length > 0).map((times) => times[0]!);
  return { scope, startMs: window.startMs, endMs: window.endMs, stepSec: window.stepSec, steps: points.length, stepsWithData, firstSampleMs: firsts.length ? Math.min(...firsts) : null };
}

/** A scope's coverage from the series collected for it (all metrics share the window). */
export function seriesCoverage(scope: string, window: SeriesWindow, series: readonly MetricSeries[]): ScopeCoverage {
  const steps = stepPoints(window).length;
  let stepsWithData = 0;
  let first = -1;
  for (let k = 0; k < steps; k++) {
    if (!series.some((s) => s.values[k] != null)) continue;
    stepsWithData++;
    if (first < 0) first = k;
  }
  const firstSampleMs = first < 0 ? null : window.startMs + first * window.stepSec * 1000;
  return { scope, startMs: window.startMs, endMs: window.endMs, stepSec: window.stepSec, steps, stepsWithData, firstSampleMs };
}

/**
 * Throws when a builtin window starts more than two steps before the oldest sample the agent
 * holds, unless the group was registered for scraping after the window started (samples from
 * before then cannot exist: a shifted baseline window, say). Two steps of the slower of the
 * canary's step and the scrape interval allow for the first scrape's timing.
 */
export function checkScrapeCoverage(coverage: ScopeCoverage, scrape: { stepSec: number; registeredAtMs?: number | undefined }): void {
  const toleranceMs = 2 * Math.max(coverage.stepSec, scrape.stepSec) * 1000;
  const expectedFromMs = Math.max(coverage.startMs, scrape.registeredAtMs ?? -Infinity);
  // Registered (nearly) after the window ended: nothing to expect.
  if (expectedFromMs + toleranceMs > coverage.endMs) return;
  if (coverage.firstSampleMs !== null && coverage.firstSampleMs <= expectedFromMs + toleranceMs) return;
  const since = coverage.firstSampleMs === null ? 'has no samples of it' : `has samples of it only since ${iso(coverage.firstSampleMs)}`;
  throw new Error(
    `the window starts at ${iso(coverage.startMs)}, but the agent ${since}: it restarted, or the window is longer than its ` +
      `${NOMINAL_RETENTION_MIN / 60} h retention (or its sample cap); use lookbackMins ≤ ${NOMINAL_RETENTION_MIN}`,
  );
}

const iso = (ms: number) => new Date(ms).toISOString();
