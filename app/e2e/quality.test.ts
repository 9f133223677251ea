// The application screens' quality bars against the real local stack, in Debian's Chromium: axe
// finds no serious or critical violation on each screen; the config form names a bad value at its
// field; a cluster location with many old server groups shows a window of them. Screenshots of each
// screen go to SHOTS. (Queue positions and status filters are journeys in executions.test.ts.)
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../scripts/stack.mjs';
import { BLOCKING, describeViolations, runAxe } from './axe.ts';
import { adminApi, launchChromium, SHOTS } from './support.ts';

const PORT = 8886;
const APP = 'ledger';
/** More server groups in one location than the view shows at first (12). */
const OLD_GROUPS = 20;

let stack: Stack;
let stateDir: string;
let browser: Browser;
let page: Page;
let pipelineId = '';
let executionId = '';

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const asAdmin = adminApi(() => stack);

/** axe's serious and critical violations on the page as it is now, one line each; '' when none. */
async function blocking(): Promise<string> {
  const { violations } = await runAxe(page);
  return describeViolations(violations.filter((v) => BLOCKING.includes(v.impact ?? null)));
}

/** Opens `url` and waits for its heading; `ready` names what must be drawn before axe looks. */
async function visit(url: string, ready?: string) {
  await page.goto(`${stack.url}${url}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  if (ready) await page.locator(ready).first().waitFor({ state: 'attached' });
}

/** Reports server groups for account `books` as an agent would: `ledger-api` v000…v019 in `east`, v019 enabled. */
async function reportInventory() {
  const { token } = await asAdmin('/agents/install-tokens', { method: 'POST', body: { expiresInMinutes: 5 } });
  const agent = (await fetch(`${stack.url}/api/agent/v1/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ installToken: token, name: 'quality-agent', version: '0.0.0', accounts: [{ name: 'books', provider: 'local', locations: ['east'] }] }),
  }).then((r) => r.json())) as { credential: string };
  const now = Date.now();
  const serverGroups = Array.from({ length: OLD_GROUPS }, (_, seq) => {
    const name = `${APP}-api-v${String(seq).padStart(3, '0')}`;
    const latest = seq === OLD_GROUPS - 1;
    return {
      name,
      location: 'east',
      moniker: { app: APP, stack: 'api', detail: '', cluster: `${APP}-api`, sequence: seq },
      disabled: !latest,
      capacity: { min: 1, max: 1, desired: 1 },
      artifact: { type: 'process', version: `2.${seq}.0` },
      loadBalancers: [],
      createdAt: now - (OLD_GROUPS - seq) * 3_600_000,
      instances: [{ id: `${name}-0`, name: `${name}-0`, health: latest ? 'Up' : 'OutOfService', address: null, launchedAt: null }],
    };
  });
  const res = await fetch(`${stack.url}/api/agent/v1/inventory`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${agent.credential}` },
    body: JSON.stringify({ account: 'books', serverGroups }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'gennaker-quality-e2e-'));
  await mkdir(SHOTS, { recursive: true });
  stack = await startStack({ port: PORT, stateDir, agent: false, seed: false });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);

  await asAdmin('/applications', { method: 'POST', body: { name: APP, email: 'books@example.com', description: 'Double-entry bookkeeping' } });
  pipelineId = (await asAdmin(`/applications/${APP}/pipelines`, {
    method: 'POST',
    body: {
      name: 'Release',
      parameterConfig: [{ name: 'version', default: '2.0.0' }],
      stages: [{ refId: '1', type: 'wait', name: 'Settle', waitTime: 0 }, { refId: '2', requisiteStageRefIds: ['1'], type: 'manualJudgment', name: 'Approve' }],
    },
  })).id;
  executionId = (await asAdmin(`/pipelines/${pipelineId}/executions`, { method: 'POST', body: {} })).id;
  await reportInventory();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('console quality', () => {
  it('has no serious accessibility violations on sign-in', async () => {
    await page.goto(`${stack.url}/applications/${APP}/config`);
    await page.waitForURL(/\/signin\?next=/);
    expect(await blocking()).toBe('');
    await shot('signin');
    await page.getByLabel('Email').fill(stack.adminEmail);
    await page.getByLabel('Password').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The deep link survives signing in.
    await page.waitForURL(`${stack.url}/applications/${APP}/config`);
  });

  it('has no serious accessibility violations on each application screen', async () => {
    const screens: [string, string, string | undefined][] = [
      ['applications', '/applications', 'tbody tr'],
      ['app-pipelines', `/applications/${APP}`, 'li.run'],
      ['app-config', `/applications/${APP}/config`, 'form'],
      ['clusters', `/applications/${APP}/clusters`, '[data-server-group]'],
      ['execution', `/applications/${APP}/executions/${executionId}`, 'svg path.edge'],
      ['tokens', '/tokens', undefined],
    ];
    const found: Record<string, string> = {};
    for (const [name, url, ready] of screens) {
      await visit(url, ready);
      found[name] = await blocking();
      await shot(`quality-${name}`);
    }
    expect(found).toEqual(Object.fromEntries(screens.map(([name]) => [name, ''])));
  });

  it('names a bad owner email at its field and keeps what was typed', async () => {
    await visit(`/applications/${APP}/config`);
    const email = page.getByLabel('Owner email');
    await email.fill('not-an-email');
    await page.getByLabel('Description').fill('Books, balanced');
    await page.getByRole('button', { name: 'Save attributes' }).click();
    await expect.poll(() => page.locator('#attr-email-error').textContent()).toMatch(/email/i);
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    // The error is where the user is: the field has focus.
    expect(await email.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByLabel('Description').inputValue()).toBe('Books, balanced');
    expect(await page.locator('#attr-description-error').count()).toBe(0);
    expect((await asAdmin(`/applications/${APP}`)).email).toBe('books@example.com');
    expect(await blocking()).toBe('');
    await shot('app-config-error');
  });

  it('names an unknown time zone before asking the API, then saves a good config that survives a reload', async () => {
    const tz = page.getByLabel('Time zone');
    await tz.fill('Mars/Olympus');
    await page.getByLabel('Owner email').fill('');
    await page.getByRole('button', { name: 'Save attributes' }).click();
    await expect.poll(() => page.locator('#attr-timeZone-error').textContent()).toContain('unknown IANA time zone "Mars/Olympus"');
    expect(await tz.getAttribute('aria-invalid')).toBe('true');
    expect((await asAdmin(`/applications/${APP}`)).timeZone).toBe('UTC');

    await tz.fill('Europe/Berlin');
    await page.getByLabel('Cloud providers').fill('local, kubernetes');
    await page.getByRole('button', { name: 'Save attributes' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).textContent()).toBe('Saved owner email, description, time zone and cloud providers.');
    expect(await page.locator('#attr-timeZone-error').count()).toBe(0);
    expect(await asAdmin(`/applications/${APP}`)).toMatchObject({ email: null, description: 'Books, balanced', timeZone: 'Europe/Berlin', cloudProviders: ['local', 'kubernetes'] });

    await page.reload();
    expect(await page.getByLabel('Time zone').inputValue()).toBe('Europe/Berlin');
    expect(await page.getByRole('button', { name: 'Save attributes' }).isDisabled()).toBe(true);
    await page.getByRole('link', { name: 'Pipelines & executions' }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}`);
    expect(await page.locator('dl.attrs').textContent()).toContain('Europe/Berlin');
  });

  it('shows the newest server groups of a crowded location and the rest on request', async () => {
    await visit(`/applications/${APP}/clusters`, '[data-server-group]');
    const cards = page.locator('.cards [data-server-group]');
    expect(await cards.count()).toBe(12);
    expect(await cards.first().getAttribute('data-server-group')).toBe(`${APP}-api-v019`);
    expect(await page.locator('.loc-head').textContent()).toContain('20 server groups, 1 enabled');
    await page.getByRole('button', { name: /^Show 8 older groups/ }).click();
    await expect.poll(() => cards.count()).toBe(OLD_GROUPS);
    expect(await cards.last().getAttribute('data-server-group')).toBe(`${APP}-api-v000`);
    expect(await page.getByRole('button', { name: /older groups/ }).count()).toBe(0);

    // A deep link to an old group shows it (and its details) without expanding the rest.
    const old = (await asAdmin(`/applications/${APP}/clusters`)).accounts[0].clusters[0].locations[0].serverGroups.at(-1);
    await visit(`/applications/${APP}/clusters?sg=${old.id}`, '[data-server-group]');
    expect(await cards.count()).toBe(13);
    expect(await page.locator('[data-server-group][aria-current="true"]').getAttribute('data-server-group')).toBe(`${APP}-api-v000`);
    await page.getByRole('complementary', { name: 'Server group details' }).waitFor();
    await shot('clusters-window');
  });

  it('says what to do next when a search finds no application', async () => {
    await visit('/applications?q=nothing-like-this');
    expect(await page.getByRole('heading', { name: 'No applications match “nothing-like-this”' }).count()).toBe(1);
    await page.getByRole('link', { name: 'Clear search' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
  });
});
