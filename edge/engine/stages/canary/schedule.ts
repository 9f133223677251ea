/**
 * When a canary's analyses run and what each one covers (Kayenta's RunCanaryIntervalsStage).
 * Pure: the stage gives the moment both groups became healthy; this says the rest.
 */

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

/**
 * How many analyses a lifetime holds: whole intervals only, at least one. The small slack keeps
 * binary fractions honest (0.3 / 0.1 is 2.9999999999999996 in floating point, but means 3).
 */
export function intervalCount(s: Pick<ScheduleSettings, 'lifetimeMins' | 'analysisIntervalMins'>): number {
  const interval = s.analysisIntervalMins ?? s.lifetimeMins;
  return Math.max(1, Math.floor(s.lifetimeMins / interval + 1e-9));
}

/**
 * Every analysis window for a canary whose groups were both healthy at `t0Ms`: interval i ends at
 * t0 + warm-up + i·interval; it covers the last `lookbackMins` before that end when lookback is
 * set, otherwise everything since the warm-up ended.
 */
export function analysisSchedule(s: ScheduleSettings, t0Ms: number): AnalysisWindow[] {
  const intervalMs = msOf(s.analysisIntervalMins ?? s.lifetimeMins);
  const analysisStart = t0Ms + msOf(s.beginCanaryAnalysisAfterMins);
  const offsetMs = msOf(s.baselineAnalysisOffsetInMins);
  return Array.from({ length: intervalCount(s) }, (_, i) => {
    const endMs = analysisStart + (i + 1) * intervalMs;
    const startMs = s.lookbackMins > 0 ? endMs - msOf(s.lookbackMins) : analysisStart;
    return { index: i + 1, experiment: { startMs, endMs }, control: { startMs: startMs - offsetMs, endMs: endMs - offsetMs } };
  });
}
