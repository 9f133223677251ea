// The console's canary pages against the real local stack (wrangler dev + local D1 + the agent),
// driven in Debian's Chromium: a canary config made in the form, refused at the field, fixed and
// saved, edited as JSON and back in the form without losing the edit, its history diffed and
// restored; then a real canary of examples/hello (the agent scraping its instances): its report
// page followed live while it runs, then reached from the execution. The page asks for the report
// without series and for one interval's series at a time.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesLoggingTo } from '../../agents/providers/local/testing.ts';
import { startStack, type Stack } from '../../scripts/stack.mjs';
import { adminApi, launchChromium, SHOTS } from './support.ts';

const PORT = 8870;
const APP = 'shop';
const CONFIG = 'checkout-health';

let stack: Stack;
let stateDir: string;
let browser: Browser;
let page: Page;

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const asAdmin = adminApi(() => stack);
const jsonEditor = () => page.getByLabel('Canary config (JSON)');
const storedConfig = async () => {
  const list = await asAdmin(`/applications/${APP}/canary-configs`);
  return list.items.find((c: { name: string }) => c.name === CONFIG);
};

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'gennaker-canary-e2e-'));
  await mkdir(SHOTS, { recursive: true });
  stack = await startStack({ port: PORT, stateDir, agent: true, seed: false });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  await asAdmin('/applications', { method: 'POST', body: { name: APP, description: 'The shop, canaried' } });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  // The local provider's instances outlive the agent by design: end the ones this test started.
  if (stateDir) {
    for (const pid of await processesLoggingTo(stateDir)) process.kill(pid, 'SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  }
});

describe('canary configs in the console', () => {
  it('shows the Canary tab with nothing in it yet, saying what a config and a report are', async () => {
    await page.goto(`${stack.url}/applications/${APP}/canary`);
    await page.waitForURL(/\/signin\?next=/);
    await page.getByLabel('Email').fill(stack.adminEmail);
    await page.getByLabel('Password').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}/canary`);
    expect(await page.getByRole('navigation', { name: `${APP} sections` }).getByRole('link', { name: 'Canary' }).getAttribute('aria-current')).toBe('page');
    await page.getByRole('heading', { name: 'No canary configs yet' }).waitFor();
    await page.getByRole('heading', { name: 'No canary runs yet' }).waitFor();
    await shot('canary-empty');
  });

  it('creates a config in the form, showing the API’s refusal at the field until it is fixed', async () => {
    await page.getByRole('link', { name: 'New canary config' }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}/canary/new`);
    // The starter metric is there to edit; add a second one and its group's weight.
    expect(await page.locator('#m0-name').inputValue()).toBe('error rate');
    await page.getByLabel('Config name').fill(CONFIG);
    await page.getByRole('button', { name: 'Add metric' }).click();
    await page.locator('#m1-name').fill('p99 latency');
    await page.locator('#m1-groups').fill('latency');
    await page.locator('#m1-metric').fill('http_request_duration_seconds');
    await page.locator('#m1-aggregation').selectOption('quantile');
    await page.locator('#m1-quantile').fill('0.99');
    await page.locator('#m1-direction').selectOption('increase');
    await page.locator('#m1-allowed-increase').fill('1.2');
    await page.getByRole('button', { name: 'Add latency' }).click();
    await page.getByLabel('Weight of errors', { exact: true }).fill('60');
    await page.getByLabel('Weight of latency', { exact: true }).fill('40');
    await page.getByLabel('Marginal threshold').fill('90');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    await expect.poll(() => page.locator('#cc-marginal-error').textContent()).toContain('marginal must not exceed pass');
    expect(await page.getByLabel('Marginal threshold').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.save-error').textContent()).toContain('classifier.scoreThresholds.marginal');
    expect(await storedConfig()).toBeUndefined();
    await shot('canary-config-refused');

    await page.getByLabel('Marginal threshold').fill('50');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}/canary/configs/${CONFIG}`);
    await page.getByText(`Created "${CONFIG}" as version 1.`).waitFor();
    const saved = await storedConfig();
    expect(saved.version).toBe(1);
    expect(saved.config.classifier).toEqual({ groupWeights: { errors: 60, latency: 40 }, scoreThresholds: { pass: 75, marginal: 50 } });
    expect(saved.config.metrics[1]).toEqual({
      name: 'p99 latency',
      query: { type: 'builtin', metric: 'http_request_duration_seconds', aggregation: 'quantile', quantile: 0.99, labels: {} },
      groups: ['latency'],
      analysisConfigurations: { canary: { direction: 'increase', effectSize: { allowedIncrease: 1.2 } } },
    });
    await shot('canary-config-created');
  });

  it('keeps edits across JSON and the form, and saves them as a new version', async () => {
    await page.getByLabel('Pass threshold').fill('80');
    await page.getByRole('button', { name: 'JSON', exact: true }).click();
    const text = await jsonEditor().inputValue();
    expect(JSON.parse(text).classifier.scoreThresholds).toEqual({ pass: 80, marginal: 50 });
    // An edit only JSON can make (a key the form has no control for) survives the form too.
    const edited = JSON.parse(text);
    edited.metrics[0].analysisConfigurations.canary.mustHaveData = true;
    edited.description = 'errors and latency of checkout';
    await jsonEditor().fill(JSON.stringify(edited, null, 2));
    await shot('canary-config-json');

    await page.getByRole('button', { name: 'Form', exact: true }).click();
    expect(await page.getByLabel('Pass threshold').inputValue()).toBe('80');
    expect(await page.locator('[data-metric="0"]').getByLabel('Must have data').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 2.').waitFor();
    const saved = await storedConfig();
    expect(saved.version).toBe(2);
    expect(saved.config.classifier.scoreThresholds.pass).toBe(80);
    expect(saved.config.metrics[0].analysisConfigurations.canary.mustHaveData).toBe(true);
  });

  it('refuses to leave JSON for the form while the text is not JSON, marking the line', async () => {
    await page.getByRole('button', { name: 'JSON', exact: true }).click();
    const text = await jsonEditor().inputValue();
    await jsonEditor().fill(text.replace('"pass": 80', '"pass": 80,,'));
    await page.getByRole('button', { name: 'Form', exact: true }).click();
    expect(await page.getByRole('button', { name: 'Form', exact: true }).getAttribute('aria-pressed')).toBe('false');
    await expect.poll(() => page.locator('.save-error').textContent()).toContain('JSON syntax error');
    expect(await page.locator('.line-mark').count()).toBe(1);
    await shot('canary-config-json-syntax');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    expect(JSON.parse(await jsonEditor().inputValue()).classifier.scoreThresholds.pass).toBe(80);
    await page.getByRole('button', { name: 'Form', exact: true }).click();
  });

  it('shows the history with a diff, and restores an older version as the newest', async () => {
    const history = page.locator('.versions > li');
    await expect.poll(() => history.count()).toBe(2);
    await page.getByRole('button', { name: 'Diff version 1 against current' }).click();
    const diff = page.getByRole('table', { name: 'Differences between v1 and saved v2' });
    await expect.poll(() => diff.locator('tr.del').allTextContents()).toContainEqual(expect.stringContaining('"pass": 75'));
    expect(await diff.locator('tr.add').allTextContents()).toContainEqual(expect.stringContaining('"pass": 80'));
    await shot('canary-config-history');

    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Restored version 1 as version 3.').waitFor();
    expect(await page.getByLabel('Pass threshold').inputValue()).toBe('75');
    expect((await storedConfig()).version).toBe(3);

    await page.getByRole('link', { name: 'Canary', exact: true }).first().click();
    await page.waitForURL(`${stack.url}/applications/${APP}/canary`);
    const row = page.getByRole('row', { name: new RegExp(CONFIG) });
    expect(await row.textContent()).toContain('v3');
    await shot('canary-configs-list');
  });
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const finished = (id: string) =>
  until(`execution ${id}`, async () => {
    const e = await asAdmin(`/executions/${id}`);
    return ['NOT_STARTED', 'RUNNING'].includes(e.status) ? undefined : e;
  }, 150_000);

const hello = (env: Record<string, string>) => ({ type: 'process', command: process.execPath, args: ['examples/hello/server.mjs'], env, version: env.VERSION });

/** Requests through production's load balancer (which the baseline and canary join), until stopped. */
function traffic(address: string) {
  let stop = false;
  const worker = async () => {
    while (!stop) await fetch(address).then((r) => r.arrayBuffer()).catch(() => new Promise((r) => setTimeout(r, 50)));
  };
  const running = Promise.all([worker(), worker(), worker()]);
  return async () => {
    stop = true;
    await running;
  };
}

/** How many pixels of a canvas are not transparent: a chart drawn has thousands, an empty canvas none. */
function drawnPixels(canvas: HTMLCanvasElement): number {
  const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
  return n;
}

/** The report API calls a page makes: summaries of report `id`, and which intervals' series it fetched. */
function reportCalls(id: string) {
  const calls = { summaries: 0, intervals: [] as number[] };
  const base = `/api/v1/applications/${APP}/canary-reports/${id}`;
  const listener = (req: { url(): string }) => {
    const { pathname } = new URL(req.url());
    if (pathname === base) calls.summaries++;
    const m = pathname.startsWith(`${base}/intervals/`) ? /\/(\d+)$/.exec(pathname) : null;
    if (m) calls.intervals.push(Number(m[1]));
  };
  page.on('request', listener);
  return { calls, stop: () => page.off('request', listener) };
}

describe('a canary report in the console', () => {
  let executionId = '';
  let finishedRun: Promise<unknown>;

  beforeAll(async () => {
    // Production first: the canary stage puts a baseline and a canary beside its newest group.
    const deploy = await asAdmin(`/applications/${APP}/pipelines`, {
      method: 'POST',
      body: {
        name: 'deploy',
        stages: [{
          refId: '1', type: 'deploy', name: 'Deploy',
          clusters: [{ account: 'local', location: 'local', application: APP, stack: 'web', strategy: 'redblack', capacity: { min: 1, max: 1, desired: 1 }, artifact: hello({ VERSION: '1.0.0' }), healthCheckTimeoutSec: 30 }],
        }],
      },
    });
    const first = await asAdmin(`/pipelines/${deploy.id}/executions`, { method: 'POST', body: {} });
    expect((await finished(first.id)).status).toBe('SUCCEEDED');
    const lb = await until('load balancer', async () => (await asAdmin(`/applications/${APP}/load-balancers`)).items?.find((l: { name: string }) => l.name === `${APP}-web`)?.address as string | undefined);
    const pipeline = await asAdmin(`/applications/${APP}/pipelines`, {
      method: 'POST',
      body: {
        name: 'canary',
        stages: [{
          refId: '1', type: 'canary', name: 'Canary 2.0.0',
          canaryConfigName: CONFIG, account: 'local', location: 'local', cluster: `${APP}-web`,
          artifact: hello({ VERSION: '2.0.0', ERROR_RATE: '0.5' }), instances: 1, lifetimeMins: 0.4, analysisIntervalMins: 0.2, stepSec: 1, healthCheckTimeoutSec: 30,
        }],
      },
    });
    // Started, not awaited: the first test follows the report while the canary runs.
    const stop = traffic(lb);
    try {
      const run = await asAdmin(`/pipelines/${pipeline.id}/executions`, { method: 'POST', body: {} });
      executionId = run.id;
    } catch (err) {
      await stop();
      throw err;
    }
    finishedRun = finished(executionId).finally(stop);
    finishedRun.catch(() => {});
  }, 120_000);

  it('follows a running canary: the summary every 3 s, each new interval’s series once, until it ends', async () => {
    // The stage records its report as soon as it starts deploying the baseline and canary.
    const listed = await until('the running canary’s report', async () => (await asAdmin(`/applications/${APP}/canary-reports?executionId=${executionId}`)).items[0]);
    const { calls, stop } = reportCalls(listed.id);
    const problems: string[] = [];
    const onError = (err: Error) => problems.push(err.message);
    page.on('pageerror', onError);
    try {
      await page.goto(`${stack.url}/applications/${APP}/canary/reports/${listed.id}`);
      await page.locator('.status-badge[data-status="RUNNING"]').waitFor();
      await page.getByRole('status').filter({ hasText: 'live, every 3 s' }).waitFor();
      await page.locator('.status-badge:not([data-status="RUNNING"])').waitFor({ timeout: 150_000 });
      const report = await asAdmin(`/applications/${APP}/canary-reports/${listed.id}`);
      expect(report.status).not.toBe('RUNNING');
      // The first load and at least one refresh while running; each interval's series fetched once,
      // as it became the newest (the one shown), never again on later refreshes.
      expect(calls.summaries).toBeGreaterThanOrEqual(2);
      expect(calls.intervals).toEqual(report.intervals.map((i: { index: number }) => i.index));
      await shot('canary-report-finished-live');
      // Ended: the page stops asking.
      const asked = calls.summaries;
      await new Promise((r) => setTimeout(r, 4000));
      expect(calls.summaries).toBe(asked);
      expect(await page.getByRole('status').filter({ hasText: 'live, every 3 s' }).count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      stop();
      page.off('pageerror', onError);
    }
    await finishedRun;
  }, 200_000);

  it('links the canary stage to its report, which shows the verdict, each interval and each metric with charts and numbers', async () => {
    const execution = await asAdmin(`/executions/${executionId}`);
    const outputs = execution.stages[0].outputs;
    expect(outputs.canaryReportId, JSON.stringify(execution.stages[0].error)).toEqual(expect.any(String));
    const report = await asAdmin(`/applications/${APP}/canary-reports/${outputs.canaryReportId}`);
    expect(report.intervals.length).toBeGreaterThanOrEqual(1);
    // The report carries verdicts only; each interval's series come on their own.
    for (const i of report.intervals) expect(i).not.toHaveProperty('series');
    const newest = await asAdmin(`/applications/${APP}/canary-reports/${report.id}/intervals/${report.intervals.at(-1).index}`);
    expect(newest.series['error rate'].experiment.values.length).toBeGreaterThan(0);

    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    const { calls, stop } = reportCalls(report.id);
    await page.goto(`${stack.url}/applications/${APP}/executions/${executionId}`);
    await page.getByRole('link', { name: 'Canary report' }).waitFor();
    await shot('canary-execution-link');
    await page.getByRole('link', { name: 'Canary report' }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}/canary/reports/${outputs.canaryReportId}`);
    expect(await page.locator('h1 .result').textContent()).toBe(report.result);
    const scopes = page.getByRole('table', { name: 'Baseline and canary server groups' });
    expect(await scopes.textContent()).toContain(report.control.serverGroup);
    expect(await scopes.textContent()).toContain(report.experiment.serverGroup);

    // Every judged interval is in the picker; the newest is shown, with each metric's numbers.
    const picker = page.getByRole('table', { name: 'Interval scores' });
    await expect.poll(() => picker.getByRole('button').count()).toBe(report.intervals.length);
    const last = report.intervals.at(-1);
    const rows = page.getByRole('table', { name: `Metric classifications in interval ${last.index}` }).locator('tbody tr');
    expect(await rows.count()).toBe(last.judge.metrics.length);
    const errors = last.judge.metrics.find((m: { name: string }) => m.name === 'error rate');
    expect(await page.locator('[data-metric-row="error rate"]').textContent()).toContain(errors.label);

    // Charts are drawn (chart.js loaded on demand) and labelled; their numbers are in tables.
    // The shown interval's series arrive after the report, so its charts do too.
    const charts = page.locator('[role="img"][aria-label*="error rate"]');
    await expect.poll(() => charts.count()).toBe(2);
    for (const canvas of await page.locator('canvas').all()) await expect.poll(() => canvas.evaluate(drawnPixels), { timeout: 10_000 }).toBeGreaterThan(500);
    expect(await page.getByRole('table', { name: 'error rate: canary and baseline values' }).locator('tbody tr').count()).toBe(2);
    expect(problems).toEqual([]);
    // Only the shown interval's series were fetched.
    expect(calls.intervals).toEqual([last.index]);
    await shot('canary-report');

    if (report.intervals.length > 1) {
      await picker.getByRole('button', { name: '#1' }).click();
      await page.getByRole('table', { name: 'Metric classifications in interval 1' }).waitFor();
      await page.getByRole('table', { name: 'error rate: canary and baseline values' }).waitFor();
      await shot('canary-report-interval-1');
      // Back to the newest: its series come from the page's cache, not the API.
      await picker.getByRole('button', { name: `#${last.index}` }).click();
      await page.getByRole('table', { name: 'error rate: canary and baseline values' }).waitFor();
      expect(calls.intervals).toEqual([last.index, 1]);
    }
    stop();

    await page.getByRole('link', { name: 'Canary', exact: true }).first().click();
    const listed = page.locator(`[data-report="${report.id}"]`);
    expect(await listed.textContent()).toContain(report.result);
    await shot('canary-reports-list');
  });
});
