/** The console's calls to the canary reports API. */
import { api, call } from '$lib/api.ts';
import type { CanaryInterval, CanaryReport } from './types.ts';

/** One page of the application's reports, newest first; `executionId` narrows to one execution's. */
export function fetchReports(app: string, opts: { cursor?: string | null; executionId?: string } = {}) {
  const query: Record<string, string> = { limit: '25' };
  if (opts.cursor) query.cursor = opts.cursor;
  if (opts.executionId) query.executionId = opts.executionId;
  return call(api.applications[':app']['canary-reports'].$get({ param: { app }, query }));
}

/** One report with its intervals' verdicts (no series: see {@link fetchInterval}). */
export async function fetchReport(app: string, id: string): Promise<CanaryReport> {
  return call(api.applications[':app']['canary-reports'][':id'].$get({ param: { app, id } }));
}

/** One interval of a report with the series it was judged on. */
export async function fetchInterval(app: string, id: string, index: number): Promise<CanaryInterval> {
  return call(api.applications[':app']['canary-reports'][':id'].intervals[':index'].$get({ param: { app, id, index: String(index) } }));
}
