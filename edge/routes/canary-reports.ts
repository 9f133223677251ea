/**
 * Canary reports: what canary stages recorded, per run and per analysis interval (scores, each
 * metric's classification and the series judged). A report answers without series; each
 * interval's series are read on their own. Read-only; the canary stage writes them.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { canaryInterval, canaryReport, canaryReportPage } from '../../contract/canary-reports.ts';
import { applicationName } from '../../contract/names.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertApplication, assertScope } from '../auth/principal.ts';
import { decodeCursor, listReports, loadInterval, loadReport } from '../engine/stages/canary/report-store.ts';
import { badRequest, notFound } from '../errors.ts';
import { database } from '../lib/db.ts';
import { jsonResponse, router } from '../lib/router.ts';
import { loadApplication } from './applications.ts';

const mw = [authenticate];
const reportParams = z.object({ app: applicationName, id: z.string().min(1).max(64) });

const list = createRoute({
  method: 'get', path: '/applications/{app}/canary-reports', tags: ['canary'], middleware: mw,
  request: {
    params: z.object({ app: applicationName }),
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page: the reports older than it'),
      executionId: z.string().min(1).max(64).optional().describe("only this execution's reports"),
    }),
  },
  responses: { 200: jsonResponse(canaryReportPage, "The application's canary reports, newest first (summaries, without intervals)") },
});
const get = createRoute({
  method: 'get', path: '/applications/{app}/canary-reports/{id}', tags: ['canary'], middleware: mw,
  request: { params: reportParams },
  responses: { 200: jsonResponse(canaryReport, 'One report: the config judged with, and every interval with its windows, score and verdicts (no series)') },
});
const getInterval = createRoute({
  method: 'get', path: '/applications/{app}/canary-reports/{id}/intervals/{index}', tags: ['canary'], middleware: mw,
  request: { params: reportParams.extend({ index: z.coerce.number().int().min(1).describe('1-based interval index') }) },
  responses: { 200: jsonResponse(canaryInterval, 'One interval of a report with the baseline and canary series it was judged on') },
});

/** Another application's report is as absent as a missing one: ids are not a way in. */
const missingReport = (app: string, id: string) => notFound(`canary report "${id}" of application "${app}"`);

export const canaryReportRoutes = router()
  .openapi(list, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    const q = c.req.valid('query');
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after === null) throw badRequest('cursor', 'cursor: not a cursor this API returned');
    const db = database(c.env.DB);
    await loadApplication(db, app);
    const page = await listReports(db, app, { limit: q.limit, ...(after ? { after } : {}), ...(q.executionId ? { executionId: q.executionId } : {}) });
    return c.json(page, 200);
  })
  .openapi(get, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { app, id } = c.req.valid('param');
    assertApplication(p, app);
    const report = await loadReport(database(c.env.DB), id);
    if (!report || report.application !== app) throw missingReport(app, id);
    return c.json(report, 200);
  })
  .openapi(getInterval, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { app, id, index } = c.req.valid('param');
    assertApplication(p, app);
    const found = await loadInterval(database(c.env.DB), id, index);
    if (!found || found.application !== app) throw missingReport(app, id);
    if (!found.interval) throw notFound(`interval ${index} of canary report "${id}"`);
    return c.json(found.interval, 200);
  });
