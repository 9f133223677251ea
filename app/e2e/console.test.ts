// The console against the real local stack (wrangler dev + local D1), driven in Debian's Chromium:
// one user's journey from sign-in to a revoked token, in order, on one page.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../scripts/stack.mjs';
import { launchChromium, SHOTS } from './support.ts';

const PORT = 8791;
const APP = 'checkout';
const PIPELINE = 'Deploy to prod';

let stack: Stack;
let stateDir: string;
let browser: Browser;
let page: Page;
let pipelineUrl = '';

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const editor = () => page.getByLabel('Pipeline config (JSON)');
const history = () => page.locator('.versions > li');
/** The API as the admin's token sees it: a second opinion on what the console claims. */
const asAdmin = (p: string, token = stack.adminToken) => fetch(`${stack.url}/api/v1${p}`, { headers: { Authorization: `Bearer ${token}` } });
/** 1-based line of the first line containing `needle` after line `from`. */
const lineOf = (text: string, needle: string, from = 0) => text.split('\n').findIndex((l, i) => i >= from && l.includes(needle)) + 1;

function pipelineJson(stages: object[]) {
  return JSON.stringify({ name: PIPELINE, stages, triggers: [{ type: 'manual', enabled: true }] }, null, 2);
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'gennaker-console-e2e-'));
  await mkdir(SHOTS, { recursive: true });
  stack = await startStack({ port: PORT, stateDir, agent: false, seed: false });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('console', () => {
  it('sends an unauthenticated deep link to sign-in and refuses a wrong password clearly', async () => {
    await page.goto(`${stack.url}/tokens`);
    await page.waitForURL(`${stack.url}/signin?next=%2Ftokens`);
    await page.getByLabel('Email').fill(stack.adminEmail);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong email or password');
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    expect(new URL(page.url()).pathname).toBe('/signin');
    await shot('signin-wrong-password');
  });

  it('signs in, returns to the page first asked for and shows the user in the header', async () => {
    await page.getByLabel('Password').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.url}/tokens`);
    await expect.poll(() => page.locator('header').textContent()).toContain(stack.adminEmail);
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
  });

  it('creates an application, showing a 400 at the offending field', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Applications' }).click();
    await page.waitForURL(`${stack.url}/applications`);
    await page.getByRole('heading', { name: 'No applications yet' }).waitFor();
    await shot('applications-empty');

    await page.getByLabel('Name').fill('Check-Out');
    await page.getByLabel('Owner email').fill('payments@example.com');
    await page.getByRole('button', { name: 'Create application' }).click();
    await expect.poll(() => page.locator('#app-name-error').textContent()).toContain('lowercase letters and digits');
    expect(await page.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Name').fill(APP);
    await page.getByLabel('Owner email').fill('not-an-email');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.locator('#app-email-error').waitFor();
    expect(await page.getByLabel('Owner email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#app-name-error').count()).toBe(0);
    await shot('applications-create-error');

    await page.getByLabel('Owner email').fill('payments@example.com');
    await page.getByLabel('Description').fill('Takes the money');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}`);
    await page.getByRole('heading', { name: 'No pipelines yet' }).waitFor();
    expect(await page.locator('dl.attrs').textContent()).toContain('payments@example.com');
    expect((await (await asAdmin(`/applications/${APP}`)).json()).description).toBe('Takes the money');
  });

  it('searches applications on the server', async () => {
    await page.goto(`${stack.url}/applications`);
    await page.locator('tbody tr').first().waitFor();
    await page.getByLabel('Search applications').fill('zzz-nothing');
    await page.getByRole('heading', { name: 'No applications match “zzz-nothing”' }).waitFor();
    expect(page.url()).toContain('q=zzz-nothing');
    await page.getByLabel('Search applications').fill('money');
    await expect.poll(() => page.locator('tbody tr').allTextContents()).toEqual([expect.stringContaining(APP)]);
    await shot('applications-list');
  });

  it('creates a pipeline, opens it in the editor and switches to JSON', async () => {
    await page.getByRole('link', { name: APP }).click();
    await page.getByRole('button', { name: 'New pipeline' }).click();
    await page.getByLabel('Pipeline name').fill(PIPELINE);
    await page.getByRole('button', { name: 'Create and edit' }).click();
    await page.waitForURL(new RegExp(`/applications/${APP}/pipelines/[0-9a-f-]{36}$`));
    pipelineUrl = page.url();

    // The editor opens on the form, as Deck does; the toggle shows the JSON and says so in the URL.
    const modes = page.getByRole('group', { name: 'Edit as' });
    await page.getByText('No stages yet').waitFor();
    expect(await modes.getByRole('button', { name: 'Form' }).getAttribute('aria-pressed')).toBe('true');
    await modes.getByRole('button', { name: 'JSON' }).click();
    await page.waitForURL(`${pipelineUrl}?mode=json`);
    expect(await modes.getByRole('button', { name: 'JSON' }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => editor().inputValue()).toContain(`"name": "${PIPELINE}"`);
    expect(await history().count()).toBe(1);
    expect(await history().first().textContent()).toContain('create');
  });

  it('refuses an invalid pipeline and marks the line of the offending field', async () => {
    const puts: string[] = [];
    page.on('request', (r) => r.method() === 'PUT' && puts.push(r.url()));

    // Unknown stage type: the edge names stages[1].type.
    const unknownType = pipelineJson([
      { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Bake', waitTime: 5 },
      { refId: '2', requisiteStageRefIds: ['1'], type: 'deployToMars', name: 'Launch' },
    ]);
    await editor().fill(unknownType);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('.save-error').textContent()).toContain('unknown stage type "deployToMars"');
    expect(await page.locator('.line-mark').getAttribute('data-line')).toBe(String(lineOf(unknownType, '"deployToMars"')));
    expect(await page.locator('.line-mark').textContent()).toContain('stages[1].type');
    expect(await page.locator('.gutter .bad').textContent()).toBe(String(lineOf(unknownType, '"deployToMars"')));

    // A cycle: the marked line is a requisiteStageRefIds line.
    const cycle = pipelineJson([
      { refId: '1', requisiteStageRefIds: ['2'], type: 'wait', name: 'Bake', waitTime: 5 },
      { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Soak', waitTime: 5 },
    ]);
    await editor().fill(cycle);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('.save-error').textContent()).toContain('cycle');
    const marked = Number(await page.locator('.line-mark').getAttribute('data-line'));
    expect(cycle.split('\n')[marked - 1]).toContain('"requisiteStageRefIds"');
    await shot('pipeline-invalid-field');

    // Broken JSON never leaves the browser; the syntax error names its line.
    const broken = cycle.replace('"name": "Soak",', '"name": "Soak"');
    await editor().fill(broken);
    const putsBefore = puts.length;
    await page.getByRole('button', { name: 'Save' }).click();
    const syntaxLine = lineOf(broken, '"waitTime"', lineOf(broken, '"Soak"') - 1);
    await expect.poll(() => page.locator('.save-error').textContent()).toContain(`JSON syntax error on line ${syntaxLine}`);
    expect(await page.locator('.line-mark').getAttribute('data-line')).toBe(String(syntaxLine));
    expect(puts.length).toBe(putsBefore);
    await shot('pipeline-syntax-error');

    expect(await history().count()).toBe(1);
    const saved = await (await asAdmin(`/pipelines/${pipelineUrl.split('/').at(-1)}`)).json();
    expect(saved.version).toBe(1);
  });

  it('saves a valid pipeline as version 2, diffs it against version 1 and restores version 1', async () => {
    const valid = pipelineJson([
      { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Bake', waitTime: 5 },
      { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Soak', waitTime: 30 },
    ]);
    await editor().fill(valid);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved as version 2.').waitFor();
    expect(await page.locator('.line-mark').count()).toBe(0);
    await expect.poll(() => history().count()).toBe(2);
    expect(await history().first().textContent()).toMatch(/v2\s*update\s*current/);

    await page.getByRole('button', { name: 'Diff version 1 against current' }).click();
    const added = page.locator('.diff tr.add');
    await expect.poll(() => added.allTextContents()).toContainEqual(expect.stringContaining('"name": "Soak"'));
    expect(await page.locator('.diff tr.del').allTextContents()).toContainEqual(expect.stringContaining('"stages": []'));
    await shot('pipeline-diff');

    await page.getByRole('button', { name: 'Restore version 1' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('saved as a new version (v3)');
    await dialog.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Restored version 1 as version 3.').waitFor();
    await expect.poll(() => editor().inputValue()).toContain('"stages": []');
    expect(await history().count()).toBe(3);
    expect(await history().first().textContent()).toContain('restored from version 1');
    await shot('pipeline-restored');

    const saved = await (await asAdmin(`/pipelines/${pipelineUrl.split('/').at(-1)}`)).json();
    expect(saved).toMatchObject({ version: 3, config: { stages: [] } });
  });

  it('does not overwrite a version saved meanwhile unless asked to (If-Match)', async () => {
    const id = pipelineUrl.split('/').at(-1);
    const theirs = await (await asAdmin(`/pipelines/${id}`)).json();
    const put = await fetch(`${stack.url}/api/v1/pipelines/${id}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${stack.adminToken}`, 'Content-Type': 'application/json', 'If-Match': `"${theirs.version}"` },
      body: JSON.stringify({ ...theirs.config, description: 'theirs' }),
    });
    expect(put.status).toBe(200);

    await editor().fill((await editor().inputValue()).replace(`"name": "${PIPELINE}",`, `"name": "${PIPELINE}",\n  "description": "mine",`));
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('saved version 4 while you were editing version 3');
    expect((await (await asAdmin(`/pipelines/${id}`)).json()).config.description).toBe('theirs');
    await page.getByRole('button', { name: 'Compare' }).click();
    await expect.poll(() => page.locator('.diff tr.add').allTextContents()).toContainEqual(expect.stringContaining('"description": "mine"'));
    await shot('pipeline-conflict');

    await page.getByRole('button', { name: 'Save mine as v5' }).click();
    await page.getByText('Saved as version 5.').waitFor();
    expect((await (await asAdmin(`/pipelines/${id}`)).json())).toMatchObject({ version: 5, config: { description: 'mine' } });
  });

  it('reloads a deep link to the editor in the mode it was in', async () => {
    await page.reload();
    await expect.poll(() => editor().inputValue()).toContain('"description": "mine"');
    expect(page.url()).toBe(`${pipelineUrl}?mode=json`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('v5');
    expect(await history().count()).toBe(5);
    await shot('pipeline-editor');
  });

  it('shows a new token secret once, and revoking the token ends it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('button', { name: 'New token' }).click();
    await page.getByLabel('Name', { exact: true }).fill('ci deployer');
    await page.getByRole('checkbox', { name: /write/ }).check();
    await page.getByLabel('Restrict to applications').fill(APP);
    await page.getByLabel('Expires after (days)').fill('30');
    await page.getByRole('button', { name: 'Create token' }).click();

    const secretBox = page.getByLabel('Token secret');
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    expect(secret).toMatch(/^gnk_/);
    expect(await page.getByRole('alert').first().textContent()).toContain('will not be shown again');
    await shot('tokens-secret-once');

    // The secret is real and limited as asked: it reads its application and nothing else.
    expect((await asAdmin(`/applications/${APP}`, secret)).status).toBe(200);
    expect((await asAdmin('/tokens', secret)).status).toBe(403);

    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await secretBox.count()).toBe(0);
    await page.reload();
    const row = page.locator('tr[data-token="ci deployer"]');
    await row.waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(await row.textContent()).toMatch(/read\s*write/);
    expect(await row.locator('.status').textContent()).toBe('active');

    await page.getByRole('button', { name: 'Revoke ci deployer' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await expect.poll(() => row.locator('.status').textContent()).toBe('revoked');
    expect(await page.getByRole('button', { name: 'Revoke ci deployer' }).count()).toBe(0);
    expect((await asAdmin(`/applications/${APP}`, secret)).status).toBe(401);
    await shot('tokens-revoked');
  });

  it('signs out, after which pages send the user to sign-in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.url}/signin`);
    await page.goto(pipelineUrl);
    await page.waitForURL(/\/signin\?next=/);
    expect(decodeURIComponent(new URL(page.url()).searchParams.get('next') ?? '')).toBe(new URL(pipelineUrl).pathname);
  });
});
