/** The console's calls to the canary reports API. */
import { api, call } from '$lib/api.ts';
import type { CanaryReport } from './types.ts';

/** One page of the application's reports, newest first; `executionId` narrows to one execution's. */
export function fetchReports(app: string, opts: { cursor?: string | null; executionId?: string } = {}) {
  const query: Record<string, string> = { limit: '25' };
  if (opts.cursor) query.cursor = opts.cursor;
  if (opts.executionId) query.executionId = opts.executionId;
  return call(api.applications[':app']['canary-reports'].$get({ param: { app }, query }));
}

/** One report with its intervals. */
export async function fetchReport(app: string, id: string): Promise<CanaryReport> {
  return call(api.applications[':app']['canary-reports'][':id'].$get({ param: { app, id } }));
}
