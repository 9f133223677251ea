import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { canaryInterval, canaryReport, canaryReportPage } from '../../contract/canary-reports.ts';
import { judge } from '../canary/judge.ts';
import { canaryPort } from '../engine/stages/canary/report-store.ts';
import type { CanaryRunRecord } from '../engine/stages/canary/port.ts';
import { adminToken, api, createApp, tokenWith } from '../test/client.ts';

const T = Date.UTC(2026, 10, 26, 12, 0, 0);
const config = { metrics: [{ name: 'errors', groups: ['errors'], analysisConfigurations: { canary: { direction: 'increase' as const } } }], classifier: { groupWeights: {}, scoreThresholds: { pass: 75, marginal: 50 } } };

/** A report as the canary stage writes it, `minutesAgo` old. */
function run(app: string, over: Partial<CanaryRunRecord> = {}): CanaryRunRecord {
  const id = crypto.randomUUID();
  return {
    id, application: app, executionId: 'exec-1', stageId: 'exec-1:1', stageName: 'Canary', configName: 'health', configVersion: 2, config,
    status: 'SUCCEEDED', score: 100, result: 'Pass', thresholds: { pass: 75, marginal: 50 },
    control: { serverGroup: 'hello-prod-baseline-v000', account: 'local', location: 'local', version: 'hello 1.0.0' },
    experiment: { serverGroup: 'hello-prod-canary-v000', account: 'local', location: 'local', version: 'hello 2.0.0' },
    metricsSource: 'builtin', plannedIntervals: 1, completedIntervals: 1, reason: 'the last interval (1 of 1) scored 100 ≥ pass 75', createdAt: T, updatedAt: T, ...over,
  };
}

const series = { errors: { control: { startMs: T, stepSec: 10, values: [0, 0, null] }, experiment: { startMs: T, stepSec: 10, values: [0, 1, 0] } } };

/** An application with reports created at T, T+1 min, … (the last is newest); one carries an interval. */
async function withReports(n: number) {
  const token = await adminToken();
  const app = await createApp(token);
  const port = canaryPort(env.DB);
  const runs = Array.from({ length: n }, (_, i) => run(app, { createdAt: T + i * 60_000, updatedAt: T + i * 60_000, executionId: i % 2 ? 'exec-odd' : 'exec-even' }));
  for (const r of runs) await port.saveRun(r);
  const verdict = judge(config, { errors: { control: [0, 0], experiment: [0, 1, 0] } });
  await port.saveInterval(runs[0]!, { index: 1, experimentStartMs: T, experimentEndMs: T + 60_000, controlStartMs: T - 1000, controlEndMs: T + 59_000, judgedAt: T + 70_000, score: verdict.summaryScore, result: verdict.result, judge: verdict, series });
  return { token, app, runs, verdict };
}

describe('canary reports API', () => {
  it('lists newest first in pages with an opaque cursor; pages follow on without gaps or repeats', async () => {
    const { token, app, runs } = await withReports(5);
    const first = await api('GET', `/applications/${app}/canary-reports?limit=2`, { token });
    expect(first.status).toBe(200);
    expect(canaryReportPage.parse(first.json)).toEqual(first.json);
    const ids: string[] = first.json.items.map((r: { id: string }) => r.id);
    let cursor = first.json.nextCursor as string | null;
    while (cursor) {
      const next = await api('GET', `/applications/${app}/canary-reports?limit=2&cursor=${cursor}`, { token });
      ids.push(...next.json.items.map((r: { id: string }) => r.id));
      cursor = next.json.nextCursor;
    }
    expect(ids).toEqual([...runs].reverse().map((r) => r.id));
    expect(first.json.items[0]).toMatchObject({ application: app, status: 'SUCCEEDED', score: 100, result: 'Pass', createdAt: new Date(T + 4 * 60_000).toISOString() });
    expect(first.json.items[0]).not.toHaveProperty('intervals');
  });

  it("filters by execution", async () => {
    const { token, app, runs } = await withReports(4);
    const res = await api('GET', `/applications/${app}/canary-reports?executionId=exec-odd`, { token });
    expect(res.json.items.map((r: { id: string }) => r.id)).toEqual([runs[3]!.id, runs[1]!.id]);
    expect(res.json.nextCursor).toBeNull();
  });

  it('returns one report with its config and intervals: windows, score and verdicts, without series', async () => {
    const { token, app, runs, verdict } = await withReports(1);
    const res = await api('GET', `/applications/${app}/canary-reports/${runs[0]!.id}`, { token });
    expect(res.status).toBe(200);
    expect(canaryReport.parse(res.json)).toEqual(res.json);
    expect(res.json).toMatchObject({ id: runs[0]!.id, configName: 'health', configVersion: 2, config, control: { version: 'hello 1.0.0' } });
    expect(res.json.intervals).toEqual([
      { index: 1, experimentStartMs: T, experimentEndMs: T + 60_000, controlStartMs: T - 1000, controlEndMs: T + 59_000, judgedAt: new Date(T + 70_000).toISOString(), score: verdict.summaryScore, result: verdict.result, judge: JSON.parse(JSON.stringify(verdict)) },
    ]);
  });

  it('returns one interval with the series it was judged on', async () => {
    const { token, app, runs, verdict } = await withReports(1);
    const res = await api('GET', `/applications/${app}/canary-reports/${runs[0]!.id}/intervals/1`, { token });
    expect(res.status).toBe(200);
    expect(canaryInterval.parse(res.json)).toEqual(res.json);
    expect(res.json).toEqual({
      index: 1, experimentStartMs: T, experimentEndMs: T + 60_000, controlStartMs: T - 1000, controlEndMs: T + 59_000, judgedAt: new Date(T + 70_000).toISOString(),
      score: verdict.summaryScore, result: verdict.result, judge: JSON.parse(JSON.stringify(verdict)), series,
    });
  });

  it('stays small however many intervals a report has: series are read one interval at a time', async () => {
    const { token, app } = await withReports(1);
    const long = run(app, { status: 'RUNNING', plannedIntervals: 40, completedIntervals: 40 });
    const port = canaryPort(env.DB);
    await port.saveRun(long);
    // An hour of 1 s steps per side: the size of series a real interval carries.
    const big = (k: number) => ({ errors: { control: { startMs: T, stepSec: 1, values: Array.from({ length: 3600 }, (_, i) => (i * k) % 97 / 1000) }, experiment: { startMs: T, stepSec: 1, values: Array.from({ length: 3600 }, (_, i) => (i * k) % 89 / 1000) } } });
    const verdict = judge(config, { errors: { control: [0, 0], experiment: [0, 0] } });
    for (let index = 1; index <= 40; index++) {
      await port.saveInterval(long, { index, experimentStartMs: T, experimentEndMs: T + index * 60_000, controlStartMs: T, controlEndMs: T + index * 60_000, judgedAt: T + index * 60_000, score: 100, result: 'Pass', judge: verdict, series: big(index) });
    }
    const report = await api('GET', `/applications/${app}/canary-reports/${long.id}`, { token });
    expect(report.status).toBe(200);
    expect(report.json.intervals.map((i: { index: number }) => i.index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (const i of report.json.intervals) expect(i).not.toHaveProperty('series');
    const one = await api('GET', `/applications/${app}/canary-reports/${long.id}/intervals/40`, { token });
    expect(one.json.series).toEqual(JSON.parse(JSON.stringify(big(40))));
    // Forty intervals' verdicts weigh less than a single interval's series.
    expect(report.text.length).toBeLessThan(one.text.length);
  });

  it('answers 404 naming the id for a missing report, and for a report of another application', async () => {
    const { token, app, runs } = await withReports(1);
    const missing = await api('GET', `/applications/${app}/canary-reports/nope`, { token });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'not_found', message: `canary report "nope" of application "${app}" not found` });
    const other = await createApp(token);
    const elsewhere = await api('GET', `/applications/${other}/canary-reports/${runs[0]!.id}`, { token });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.json.error.message).toContain(runs[0]!.id);
  });

  it("answers 404 for an interval not judged (naming its index), of a missing report or of another application's", async () => {
    const { token, app, runs } = await withReports(1);
    const id = runs[0]!.id;
    const unjudged = await api('GET', `/applications/${app}/canary-reports/${id}/intervals/2`, { token });
    expect(unjudged.status).toBe(404);
    expect(unjudged.json.error).toMatchObject({ code: 'not_found', message: `interval 2 of canary report "${id}" not found` });
    const missing = await api('GET', `/applications/${app}/canary-reports/nope/intervals/1`, { token });
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toBe(`canary report "nope" of application "${app}" not found`);
    const other = await createApp(token);
    const elsewhere = await api('GET', `/applications/${other}/canary-reports/${id}/intervals/1`, { token });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.json.error.message).toBe(`canary report "${id}" of application "${other}" not found`);
  });

  it('refuses an interval index that is not a positive whole number (400 naming it)', async () => {
    const { token, app, runs } = await withReports(1);
    for (const index of ['0', 'x', '1.5']) {
      const res = await api('GET', `/applications/${app}/canary-reports/${runs[0]!.id}/intervals/${index}`, { token });
      expect(res.status, index).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'validation_failed', field: 'index' });
    }
  });

  it('refuses a foreign cursor (400 naming it) and an unknown application (404)', async () => {
    const { token, app } = await withReports(1);
    const bad = await api('GET', `/applications/${app}/canary-reports?cursor=not-ours`, { token });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ field: 'cursor' });
    expect((await api('GET', '/applications/nosuchapp/canary-reports', { token })).status).toBe(404);
  });

  it('needs the read scope and an application the token may see', async () => {
    const { token, app, runs } = await withReports(1);
    const writeOnly = await tokenWith(token, { scopes: ['execute'] });
    const id = runs[0]!.id;
    for (const path of [`/applications/${app}/canary-reports`, `/applications/${app}/canary-reports/${id}`, `/applications/${app}/canary-reports/${id}/intervals/1`]) {
      expect((await api('GET', path, { token: writeOnly.secret })).status).toBe(403);
      expect((await api('GET', path)).status).toBe(401);
    }
    const other = await createApp(token);
    const elsewhere = await tokenWith(token, { scopes: ['read'], applications: [other] });
    for (const path of [`/applications/${app}/canary-reports/${id}`, `/applications/${app}/canary-reports/${id}/intervals/1`]) {
      const refused = await api('GET', path, { token: elsewhere.secret });
      expect(refused.status).toBe(403);
      expect(refused.json.error.message).toContain(`not "${app}"`);
    }
    const mine = await tokenWith(token, { scopes: ['read'], applications: [app] });
    expect((await api('GET', `/applications/${app}/canary-reports`, { token: mine.secret })).json.items).toHaveLength(1);
    expect((await api('GET', `/applications/${app}/canary-reports/${id}/intervals/1`, { token: mine.secret })).status).toBe(200);
  });
});
