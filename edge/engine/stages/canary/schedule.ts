/**
 * When a canary's analyses run and what each one covers (Kayenta's RunCanaryIntervalsStage).
 * Pure: the stage gives the moment both groups became healthy; this says the rest.
 */
import { canaryIntervalCount } from '../../../../contract/stages/canary.ts';

export interface ScheduleSettings {
  lifetimeMins: number;
  /** Default: the lifetime (one analysis at the end). */
  analysisIntervalMins?: number | undefined;
  beginCanaryAnalysisAfterMins: number;
  baselineAnalysisOffsetInMins: number;
  lookbackMins: number;
}

export interface TimeWindow {
  startMs: number;
  endMs: number;
}

export interface AnalysisWindow {
  /** 1-based. */
  index: number;
  /** The canary's (experiment's) window. */
  experiment: TimeWindow;
  /** The baseline's (control's) window: the experiment's shifted back by the baseline offset. */
  control: TimeWindow;
}

const MINUTE_MS = 60_000;
const msOf = (mins: number) => Math.round(mins * MINUTE_MS);

/** How many analyses a lifetime holds: whole intervals only, at least one (the contract's rule). */
export const intervalCount = (s: Pick<ScheduleSettings, 'lifetimeMins' | 'analysisIntervalMins'>): number => canaryIntervalCount(s);

/**
 * Analysis `index` (1-based) of a canary whose groups were both healthy at `t0Ms`: it ends at
 * t0 + warm-up + index·interval and covers the last `lookbackMins` before that end when lookback
 * is set, otherwise everything since the warm-up ended. An interval longer than the lifetime is
 * the lifetime (Kayenta), so the one analysis ends when the canary's lifetime does. Computed on
 * demand: a stage keeps t0, not up to a thousand windows.
 */
export function analysisWindow(s: ScheduleSettings, t0Ms: number, index: number): AnalysisWindow {
  const intervalMs = msOf(Math.min(s.analysisIntervalMins ?? s.lifetimeMins, s.lifetimeMins));
  const analysisStart = t0Ms + msOf(s.beginCanaryAnalysisAfterMins);
  const offsetMs = msOf(s.baselineAnalysisOffsetInMins);
  const endMs = analysisStart + index * intervalMs;
  const startMs = s.lookbackMins > 0 ? endMs - msOf(s.lookbackMins) : analysisStart;
  return { index, experiment: { startMs, endMs }, control: { startMs: startMs - offsetMs, endMs: endMs - offsetMs } };
}

/** Every analysis window of a canary, in order (see {@link analysisWindow}). */
export function analysisSchedule(s: ScheduleSettings, t0Ms: number): AnalysisWindow[] {
  return Array.from({ length: intervalCount(s) }, (_, i) => analysisWindow(s, t0Ms, i + 1));
}
