/**
 * Canary configs and reports in D1: the canary stage's port (load a config, save a run and its
 * intervals) and the reads the reports API makes, mapping rows to the contract's shapes.
 */
import { and, asc, desc, eq, getTableColumns, lt, or, type SQL } from 'drizzle-orm';
import type { CanaryInterval, CanaryIntervalSummary, CanaryReport, CanaryReportSummary } from '../../../../contract/canary-reports.ts';
import { canaryConfigs, canaryConfigVersions, canaryIntervals, canaryRuns } from '../../../../db/schema.ts';
import { database, type Database } from '../../../lib/db.ts';
import { isoOf } from '../../../lib/time.ts';
import type { CanaryPort, CanaryRunRecord } from './port.ts';

type RunRow = typeof canaryRuns.$inferSelect;
type IntervalRow = typeof canaryIntervals.$inferSelect;

const runRow = (r: CanaryRunRecord): RunRow => ({ ...r, control: { ...r.control }, experiment: { ...r.experiment } });

/** The canary port over D1. */
export function canaryPort(d1: D1Database): CanaryPort {
  const db = database(d1);
  const upsertRun = (r: CanaryRunRecord) => {
    const { id: _id, createdAt: _created, ...changed } = runRow(r);
    return db.insert(canaryRuns).values(runRow(r)).onConflictDoUpdate({ target: canaryRuns.id, set: changed });
  };
  return {
    async loadConfig(application, name, version) {
      const row = await db.select().from(canaryConfigs).where(and(eq(canaryConfigs.application, application), eq(canaryConfigs.name, name))).get();
      if (!row) return null;
      if (version === undefined || version === row.version) return { id: row.id, name: row.name, version: row.version, config: row.config };
      const old = await db.select().from(canaryConfigVersions).where(and(eq(canaryConfigVersions.configId, row.id), eq(canaryConfigVersions.version, version))).get();
      return old ? { id: row.id, name: row.name, version: old.version, config: old.config } : null;
    },
    async saveRun(run) {
      await upsertRun(run).run();
    },
    async saveInterval(run, i) {
      const row: IntervalRow = { runId: run.id, ...i, judge: { ...i.judge }, series: { ...i.series } };
      const { runId: _r, index: _i, ...changed } = row;
      // One batch: the interval and the summary that counts it are written together or not at all.
      await db.batch([upsertRun(run), db.insert(canaryIntervals).values(row).onConflictDoUpdate({ target: [canaryIntervals.runId, canaryIntervals.index], set: changed })]);
    },
  };
}

function summaryOf(r: RunRow): CanaryReportSummary {
  return {
    id: r.id,
    application: r.application,
    executionId: r.executionId,
    stageId: r.stageId,
    stageName: r.stageName,
    configName: r.configName,
    configVersion: r.configVersion,
    status: r.status,
    score: r.score,
    result: r.result,
    thresholds: r.thresholds,
    control: r.control as CanaryReportSummary['control'],
    experiment: r.experiment as CanaryReportSummary['experiment'],
    metricsSource: r.metricsSource,
    plannedIntervals: r.plannedIntervals,
    completedIntervals: r.completedIntervals,
    reason: r.reason,
    createdAt: isoOf(r.createdAt),
    updatedAt: isoOf(r.updatedAt),
  };
}

const intervalSummaryOf = (i: Omit<IntervalRow, 'series'>): CanaryIntervalSummary => ({
  index: i.index,
  experimentStartMs: i.experimentStartMs,
  experimentEndMs: i.experimentEndMs,
  controlStartMs: i.controlStartMs,
  controlEndMs: i.controlEndMs,
  judgedAt: isoOf(i.judgedAt),
  score: i.score,
  result: i.result,
  judge: i.judge as CanaryIntervalSummary['judge'],
});

const intervalOf = (i: IntervalRow): CanaryInterval => ({ ...intervalSummaryOf(i), series: i.series as CanaryInterval['series'] });

/** Every interval column but `series`: a report's reads leave the big column on disk. */
const { series: _series, ...summaryColumns } = getTableColumns(canaryIntervals);

/** A page cursor names the last report of a page by (createdAt, id), so reports written meanwhile do not shift pages. */
export const encodeCursor = (r: { createdAt: number; id: string }) => btoa(`${r.createdAt}:${r.id}`).replace(/=+$/, '');
export function decodeCursor(cursor: string): { createdAt: number; id: string } | null {
  let text = '';
  try {
    text = atob(cursor);
  } catch {
    return null;
  }
  const m = /^(\d+):([\w-]+)$/.exec(text);
  return m ? { createdAt: Number(m[1]), id: m[2]! } : null;
}

/** An application's reports, newest first, optionally of one execution, after `cursor`. */
export async function listReports(db: Database, application: string, opts: { limit: number; after?: { createdAt: number; id: string }; executionId?: string }) {
  const filters: SQL[] = [eq(canaryRuns.application, application)];
  if (opts.executionId) filters.push(eq(canaryRuns.executionId, opts.executionId));
  if (opts.after) {
    const c = opts.after;
    filters.push(or(lt(canaryRuns.createdAt, c.createdAt), and(eq(canaryRuns.createdAt, c.createdAt), lt(canaryRuns.id, c.id)))!);
  }
  const rows = await db.select().from(canaryRuns).where(and(...filters)).orderBy(desc(canaryRuns.createdAt), desc(canaryRuns.id)).limit(opts.limit + 1).all();
  const page = rows.slice(0, opts.limit);
  return { items: page.map(summaryOf), nextCursor: rows.length > opts.limit ? encodeCursor(page.at(-1)!) : null };
}

/**
 * One report with its intervals in order, without their series, or null. Series are up to ~700 KB
 * an interval, so a long canary's report would not fit a Worker's memory with them (and the console
 * re-reads a running report every few seconds): `loadInterval` reads them one interval at a time.
 */
export async function loadReport(db: Database, id: string): Promise<CanaryReport | null> {
  const [runs, intervals] = await db.batch([
    db.select().from(canaryRuns).where(eq(canaryRuns.id, id)),
    db.select(summaryColumns).from(canaryIntervals).where(eq(canaryIntervals.runId, id)).orderBy(asc(canaryIntervals.index)),
  ]);
  const run = runs[0];
  if (!run) return null;
  return { ...summaryOf(run), config: run.config, intervals: intervals.map(intervalSummaryOf) };
}

/**
 * One interval of a report with its series: null when the report does not exist, else the report's
 * application (so the caller can refuse another application's report) and the interval or null.
 */
export async function loadInterval(db: Database, id: string, index: number): Promise<{ application: string; interval: CanaryInterval | null } | null> {
  const [runs, intervals] = await db.batch([
    db.select({ application: canaryRuns.application }).from(canaryRuns).where(eq(canaryRuns.id, id)),
    db.select().from(canaryIntervals).where(and(eq(canaryIntervals.runId, id), eq(canaryIntervals.index, index))),
  ]);
  const run = runs[0];
  if (!run) return null;
  const row = intervals[0];
  return { application: run.application, interval: row ? intervalOf(row) : null };
}
