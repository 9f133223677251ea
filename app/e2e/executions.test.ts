// Executions in the console against the real local stack (wrangler dev + local D1 + the engine),
// driven in Debian's Chromium: start with parameters, watch a run live, judge it, read a stage's
// expression error, and see a limitConcurrent pipeline queue its second run.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../scripts/stack.mjs';
import { adminApi, launchChromium, SHOTS } from './support.ts';

const PORT = 8793;
const APP = 'payments';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

let stack: Stack;
let stateDir: string;
let browser: Browser;
let page: Page;
const ids: Record<'release' | 'broken' | 'serial', string> = { release: '', broken: '', serial: '' };
let releaseRun = '';

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

const asAdmin = adminApi(() => stack);

async function createPipeline(config: object): Promise<string> {
  return (await asAdmin(`/applications/${APP}/pipelines`, { method: 'POST', body: config })).id;
}

const group = (name: string) => page.getByRole('region', { name, exact: true });
const runs = (name: string) => group(name).locator('li.run');
const node = (name: string) => page.getByRole('group', { name: 'Stage graph' }).getByRole('button', { name: new RegExp(`^${name},`) });
const headingText = () => page.getByRole('heading', { level: 1 }).textContent();
const streams = () => page.evaluate(() => (window as unknown as { streams: { opened: number; closed: number } }).streams);

/** Opens the start form of `pipeline`, fills nothing, and returns the form. */
async function openStart(pipeline: string) {
  await group(pipeline).getByRole('button', { name: `Start ${pipeline}` }).click();
  const form = page.getByRole('form', { name: `Start ${pipeline}` });
  await form.waitFor();
  return form;
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'gennaker-executions-e2e-'));
  await mkdir(SHOTS, { recursive: true });
  stack = await startStack({ port: PORT, stateDir, agent: false, seed: false });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  // Counts the event streams the console opens and closes, to check it closes them on leaving.
  await page.addInitScript(() => {
    const w = window as unknown as { streams: { opened: number; closed: number }; EventSource: typeof EventSource };
    const Base = w.EventSource;
    w.streams = { opened: 0, closed: 0 };
    w.EventSource = class extends Base {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        w.streams.opened++;
      }
      override close() {
        w.streams.closed++;
        super.close();
      }
    };
  });

  await asAdmin('/applications', { method: 'POST', body: { name: APP, email: 'payments@example.com', description: 'Takes the money' } });
  ids.release = await createPipeline({
    name: 'Release',
    parameterConfig: [
      { name: 'env', label: 'Environment', required: true, options: [{ value: 'staging' }, { value: 'prod' }] },
      { name: 'version', default: '1.0.0', description: 'Image tag to deploy' },
    ],
    stages: [
      { refId: '1', type: 'wait', name: 'Bake', waitTime: 1 },
      {
        refId: '2', requisiteStageRefIds: ['1'], type: 'manualJudgment', name: 'Approve',
        instructions: 'Check the error-rate dashboard, then continue.', judgmentInputs: [{ value: 'ship it' }, { value: 'hold' }],
      },
      { refId: '3', requisiteStageRefIds: ['1'], type: 'wait', name: 'Notify', waitTime: 0 },
      { refId: '4', requisiteStageRefIds: ['2', '3'], type: 'wait', name: 'Settle', waitTime: 0 },
    ],
  });
  ids.broken = await createPipeline({ name: 'Broken', stages: [{ refId: '1', type: 'wait', name: 'Hold', waitTime: '${parameters.nope}' }] });
  ids.serial = await createPipeline({ name: 'Serial', limitConcurrent: true, stages: [{ refId: '1', type: 'manualJudgment', name: 'Gate' }] });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('executions in the console', () => {
  it('signs in from a deep link and lists every pipeline, not run yet', async () => {
    await page.goto(`${stack.url}/applications/${APP}`);
    await page.waitForURL(/\/signin\?next=/);
    await page.getByLabel('Email').fill(stack.adminEmail);
    await page.getByLabel('Password').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}`);
    for (const name of ['Release', 'Broken', 'Serial']) {
      await expect.poll(() => group(name).textContent()).toContain('Not run yet');
    }
  });

  it('starts a pipeline from a form generated from its parameters, showing a 400 at the parameter', async () => {
    const form = await openStart('Release');
    const env = form.getByLabel('Environment');
    expect(await env.evaluate((el) => el.tagName)).toBe('SELECT');
    expect(await env.locator('option').allTextContents()).toEqual(['Choose…', 'staging', 'prod']);
    expect(await env.getAttribute('aria-required')).toBe('true');
    expect(await form.getByLabel('version').inputValue()).toBe('1.0.0');
    expect(await form.textContent()).toContain('Image tag to deploy');

    await form.getByRole('button', { name: 'Start execution' }).click();
    await expect.poll(() => form.locator(`#param-${ids.release}-env-error`).textContent()).toContain('required parameter "env" is missing');
    expect(await env.getAttribute('aria-invalid')).toBe('true');
    expect(await runs('Release').count()).toBe(0);
    await shot('start-form');

    await env.selectOption('prod');
    await form.getByLabel('Note').fill('release 1.0.0');
    await form.getByRole('button', { name: 'Start execution' }).click();
    await form.waitFor({ state: 'detached' });
    await expect.poll(() => runs('Release').count()).toBe(1);
    expect(await runs('Release').first().textContent()).toContain('env=prod');
    const listed = await asAdmin(`/pipelines/${ids.release}/executions`);
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({ parameters: { env: 'prod', version: '1.0.0' }, trigger: { type: 'manual', description: 'release 1.0.0' } });
    releaseRun = listed.items[0].id;
  });

  it('opens the execution: header, trigger, and the stage graph in columns by depth', async () => {
    await runs('Release').first().getByRole('link', { name: /^Execution / }).click();
    await page.waitForURL(new RegExp(`/applications/${APP}/executions/${releaseRun}$`));
    expect(await headingText()).toContain('Release');
    const trigger = page.getByRole('region', { name: 'Trigger' });
    await expect.poll(() => trigger.textContent()).toContain(stack.adminEmail);
    expect(await trigger.getByRole('table', { name: 'Parameters' }).textContent()).toMatch(/env\s*prod/);

    // Bake first; Approve and Notify side by side after it; Settle after both.
    const box = async (name: string) => (await node(name).boundingBox())!;
    const [bake, approve, notify, settle] = [await box('Bake'), await box('Approve'), await box('Notify'), await box('Settle')];
    expect(approve.x).toBeGreaterThan(bake.x);
    expect(notify.x).toBe(approve.x);
    expect(notify.y).not.toBe(approve.y);
    expect(settle.x).toBeGreaterThan(approve.x);
    expect(await node('Settle').getAttribute('aria-label')).toContain('runs after Approve and Notify');
    expect(await page.locator('svg path.edge').count()).toBe(4);

    // The judgment is what needs attention, so it is selected once Bake is done.
    await expect.poll(() => node('Approve').getAttribute('data-status'), { timeout: 20_000 }).toBe('RUNNING');
    await expect.poll(() => node('Bake').getAttribute('data-status')).toBe('SUCCEEDED');
    await shot('execution-graph');
  });

  it('survives a reload of the deep link, with a chosen stage', async () => {
    await node('Bake').click();
    await page.waitForURL(/\?stage=1$/);
    await page.getByRole('tab', { name: 'Timing' }).click();
    expect(await page.getByRole('tabpanel').textContent()).toContain('Duration');
    await page.reload();
    await expect.poll(() => page.getByRole('region', { name: /^Bake/ }).count()).toBe(1);
    expect(await node('Bake').getAttribute('aria-pressed')).toBe('true');
    await node('Approve').click();
  });

  it('approves the manual judgment and sees the execution succeed without reloading', async () => {
    const judgment = page.getByRole('region', { name: 'Awaiting your judgment' });
    await judgment.waitFor();
    expect(await judgment.textContent()).toContain('Check the error-rate dashboard, then continue.');
    const input = judgment.getByLabel('Judgment input');
    expect(await input.locator('option').allTextContents()).toEqual(['(none)', 'ship it', 'hold']);
    await input.selectOption('ship it');
    await shot('execution-judgment');

    // A marker on the window: a reload would lose it.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await judgment.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.locator('h1 .status-badge').textContent(), { timeout: 20_000 }).toBe('Succeeded');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    // One stream since the reload, kept open while stages were selected and updates arrived.
    expect(await streams()).toEqual({ opened: 1, closed: 0 });
    expect(await node('Settle').getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await page.getByRole('status').filter({ hasText: 'live' }).count()).toBe(1);

    await node('Approve').click();
    expect(await page.locator('p.box').textContent()).toMatch(/Judged\s+continue\s+with “ship it”/);
    await page.getByRole('tab', { name: 'Outputs' }).click();
    expect(await page.getByRole('tabpanel').textContent()).toContain('"judgmentInput": "ship it"');
    expect((await asAdmin(`/executions/${releaseRun}`)).status).toBe('SUCCEEDED');
  });

  it('evaluates expressions against the execution, showing the value or the reason', async () => {
    const box = page.getByRole('region', { name: 'Evaluate expression' });
    await box.getByLabel('Expression').fill("stage('Approve').outputs.judgmentInput");
    await box.getByRole('button', { name: 'Evaluate' }).click();
    await expect.poll(() => box.locator('pre.value').textContent()).toBe('"ship it"');

    await box.getByLabel('Expression').fill('${ parameters.nope }');
    await box.getByRole('button', { name: 'Evaluate' }).click();
    await expect.poll(() => box.locator('#expression-error').textContent()).toContain('no key "nope"');
    expect(await box.getByLabel('Expression').getAttribute('aria-invalid')).toBe('true');
    expect(await box.locator('pre.value').count()).toBe(0);
  });

  it('pins an expression error to its stage, naming the field and marking the expression', async () => {
    await page.getByRole('link', { name: APP, exact: true }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}`);
    expect(await streams()).toEqual({ opened: 1, closed: 1 });
    const form = await openStart('Broken');
    expect(await form.textContent()).toContain('takes no parameters');
    await form.getByRole('button', { name: 'Start execution' }).click();
    await expect.poll(() => runs('Broken').count()).toBe(1);
    await runs('Broken').first().getByRole('link', { name: /^Execution / }).click();
    await page.waitForURL(new RegExp(`/executions/${UUID}$`));

    await expect.poll(() => page.locator('h1 .status-badge').textContent(), { timeout: 20_000 }).toBe('Terminal');
    // The failed stage is selected and its Error tab open.
    await expect.poll(() => page.getByRole('tab', { name: /Error/ }).getAttribute('aria-selected')).toBe('true');
    const panel = page.getByRole('tabpanel');
    expect(await panel.getByRole('alert').textContent()).toContain('no key "nope" in parameters');
    expect(await panel.locator('code.field-name').textContent()).toBe('waitTime');
    expect(await panel.locator('code.expr').textContent()).toBe('parameters.nope');
    expect(await panel.locator('pre mark').textContent()).toBe('${parameters.nope}');
    expect(await node('Hold').getAttribute('data-status')).toBe('TERMINAL');
    await shot('execution-error');

    // Restarting asks first and says what it resets; it then records who restarted it.
    await page.getByRole('button', { name: 'Restart stage' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('reset to Not started');
    await dialog.getByRole('button', { name: 'Restart stage' }).click();
    await page.getByRole('tab', { name: 'Timing' }).click();
    await expect.poll(() => page.getByRole('tabpanel').textContent(), { timeout: 20_000 }).toContain(`by ${stack.adminEmail}`);
  });

  it('queues a second run of a limitConcurrent pipeline as waiting, position 1', async () => {
    await page.getByRole('link', { name: APP, exact: true }).click();
    for (let i = 0; i < 2; i++) {
      const form = await openStart('Serial');
      await form.getByRole('button', { name: 'Start execution' }).click();
      await expect.poll(() => runs('Serial').count()).toBe(i + 1);
    }
    await expect.poll(() => runs('Serial').first().textContent()).toContain('waiting · position 1');
    expect(await runs('Serial').nth(1).textContent()).toContain('Running');
    expect(await group('Serial').textContent()).toContain('Queued: waiting · position 1.');
    await shot('executions-list');

    // The waiting one says why, and canceling it (with a reason) means it never starts.
    await runs('Serial').first().getByRole('link', { name: /^Execution / }).click();
    await page.waitForURL(new RegExp(`/executions/${UUID}$`));
    expect(await page.locator('.banner-warn').textContent()).toContain('Waiting at position 1');
    expect(await page.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Cancel…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this execution?' });
    await dialog.getByLabel('Reason').fill('not needed today');
    await dialog.getByRole('button', { name: 'Cancel execution' }).click();
    await expect.poll(() => page.locator('h1 .status-badge').textContent(), { timeout: 20_000 }).toBe('Canceled');
    expect(await page.locator('.banner-warn').textContent()).toContain('not needed today');
    expect(await page.getByRole('button', { name: 'Cancel…' }).isDisabled()).toBe(true);
  });

  it('filters by status in the URL and pages with Load more', async () => {
    for (let i = 0; i < 5; i++) await asAdmin(`/pipelines/${ids.serial}/executions`, { method: 'POST', body: {} });
    await page.goto(`${stack.url}/applications/${APP}?status=failed`);
    await expect.poll(() => runs('Broken').count()).toBe(1);
    expect(await runs('Release').count()).toBe(0);
    expect(await group('Release').textContent()).toContain('No failed executions');
    expect(await page.getByRole('link', { name: 'Failed', exact: true }).getAttribute('aria-current')).toBe('true');

    await page.getByRole('navigation', { name: 'Filter executions by status' }).getByRole('link', { name: 'All' }).click();
    await expect.poll(() => runs('Release').count()).toBe(1);
    expect(new URL(page.url()).search).toBe('');
    // Serial has 7 runs now; the first page shows 5.
    await expect.poll(() => runs('Serial').count()).toBe(5);
    await group('Serial').getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => runs('Serial').count()).toBe(7);
    expect(await group('Serial').getByRole('button', { name: 'Load more' }).count()).toBe(0);
  });

  it('says what to do next for an execution that does not exist', async () => {
    await page.goto(`${stack.url}/applications/${APP}/executions/00000000-0000-4000-8000-000000000000`);
    await expect.poll(() => headingText()).toContain('Execution not found');
    await page.getByRole('link', { name: `Executions of ${APP}` }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}`);
    await page.goto(`${stack.url}/applications/${APP}/executions?status=failed`);
    await page.waitForURL(`${stack.url}/applications/${APP}?status=failed`);
  });
});
