// The admin screens against the real local stack with its agent, in Debian's Chromium: the agents
// list, adding an agent by running the command the console shows, as shown (it downloads the agent
// from the stack, checks its SHA-256, and a real second agent registers with the shown token),
// creating a user and finding that in the audit log. Each screen is checked with axe-core and
// photographed.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BUNDLE } from '../../scripts/build-agent.mjs';
import { spawnGroup, stopGroup } from '../../scripts/stack/processes.mjs';
import { startStack, type Stack } from '../../scripts/stack.mjs';
import { AGENT_CHECKSUM_PATH, AGENT_DOWNLOAD_PATH } from '../routes/agents/install-commands.ts';
import { assertAccessible } from './axe.ts';
import { adminApi, launchChromium, ROOT, SHOTS } from './support.ts';

const PORT = 8874;
const SECOND_AGENT = 'second-agent';

let stack: Stack;
let stateDir: string;
let browser: Browser;
let page: Page;
let secondAgent: ChildProcess | undefined;
const member = { email: 'mia.member@example.com', name: 'Mia Member', password: '' };

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `admin-${name}.png`), fullPage: true });
const asAdmin = adminApi(() => stack);
const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
const agentRow = (name: string) => page.locator(`tr[data-agent="${name}"]`);
/** SHA-256 of the agent bundle the stack serves, hex. */
const bundleSha256 = async () => createHash('sha256').update(await readFile(AGENT_BUNDLE)).digest('hex');

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'gennaker-admin-e2e-'));
  await mkdir(SHOTS, { recursive: true });
  stack = await startStack({ port: PORT, stateDir, agent: true, seed: false });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
});

afterAll(async () => {
  if (secondAgent) await stopGroup(secondAgent);
  await browser?.close();
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('admin screens', () => {
  it('opens a deep link to the agents page after sign-in and shows the local agent online with its account', async () => {
    await page.goto(`${stack.url}/agents`);
    await page.waitForURL(`${stack.url}/signin?next=%2Fagents`);
    await page.getByLabel('Email').fill(stack.adminEmail);
    await page.getByLabel('Password').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.url}/agents`);

    const row = agentRow('local-agent');
    await expect.poll(() => row.locator('[data-agent-status]').getAttribute('data-agent-status')).toBe('online');
    const text = await row.textContent();
    expect(text).toContain('local');
    expect(text).toMatch(/just now|seconds? ago/);
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    expect(text).toContain(version);
    expect(await row.locator('.accounts li').allTextContents()).toEqual([expect.stringMatching(/^local\s+local\s+local$/)]);
    expect(await nav('Agents').getAttribute('aria-current')).toBe('page');
    for (const item of ['Applications', 'Agents', 'API tokens', 'Users', 'Audit log']) expect(await nav(item).isVisible(), item).toBe(true);

    // A reload of a deep link is served the console (the SPA fallback) and lands here again.
    await page.reload();
    await agentRow('local-agent').waitFor();
    await assertAccessible(page, 'agents');
    await shot('agents');
  });

  it('creates a one-time install token and shows it once, with local, Kubernetes and DC/OS commands', async () => {
    await page.getByRole('button', { name: 'Add agent' }).click();
    await page.getByLabel('Token valid for').selectOption({ label: '15 minutes' });
    await assertAccessible(page, 'add agent');
    await page.getByRole('button', { name: 'Create install token' }).click();

    const token = await page.locator('#install-token').inputValue();
    expect(token).toMatch(/^gni_/);
    const tokens = page.getByRole('tab');
    expect(await tokens.allTextContents()).toEqual(['Local', 'Kubernetes', 'DC/OS']);
    expect(await page.getByRole('tab', { name: 'Local' }).getAttribute('aria-selected')).toBe('true');

    // "local" is the stack agent's account, so the command suggests a free one.
    const local = await page.locator('pre[data-command="local"]').textContent();
    expect(local).toContain(`--token ${token}`);
    expect(local).toContain(`--server ${stack.url}`);
    expect(local).toContain('--account local-2:local:local');
    expect(local).toContain(`curl -fsSLo gennaker-agent.mjs ${stack.url}/downloads/gennaker-agent.mjs &&\necho '${await bundleSha256()}  gennaker-agent.mjs' | sha256sum -c - &&\n`);
    expect(await page.locator('#install-panel-local').textContent()).toContain('Needs Node.js 22 or later');
    // An account an online agent serves is refused at the field: registering it would be refused.
    await page.locator('#agent-account').fill('local');
    await expect.poll(() => page.locator('#agent-account-error').textContent()).toBe(
      'agent \u201clocal-agent\u201d serves local and is online: choose another name, or stop or revoke that agent to replace it',
    );
    expect(await page.locator('#agent-account').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('pre[data-command="local"]').count()).toBe(0);
    await assertAccessible(page, 'add agent: account taken');
    await shot('add-agent-account-taken');
    await page.locator('#agent-account').fill('');
    await expect.poll(() => page.locator('#agent-account-error').count()).toBe(0);
    expect(await page.locator('[data-limitation="local"]').count()).toBe(0);
    await page.locator('#agent-name').fill('not a name');
    await expect.poll(() => page.locator('#agent-name-error').textContent()).toContain('letters, digits, _ . - only');
    expect(await page.locator('pre[data-command="local"]').count()).toBe(0);
    await page.locator('#agent-name').fill(SECOND_AGENT);
    await expect.poll(() => page.locator('pre[data-command="local"]').textContent()).toContain(`--name ${SECOND_AGENT}`);
    await shot('add-agent-local');

    await page.getByRole('tab', { name: 'Kubernetes' }).click();
    const k8s = page.locator('pre[data-command="kubernetes"]');
    await k8s.waitFor();
    expect(await k8s.textContent()).toContain(`kubectl create secret generic gennaker-agent-install --from-literal=token=${token}`);
    expect(await k8s.textContent()).toContain('kind: Deployment');
    expect(await k8s.textContent()).toContain(`${stack.url}/downloads/gennaker-agent.mjs`);
    // Honest about what works: the agent has no Kubernetes provider yet.
    expect(await page.locator('[data-limitation="kubernetes"]').textContent()).toContain('ships only the local provider');
    expect(await page.locator('pre[data-command="local"]').isVisible()).toBe(false);
    await assertAccessible(page, 'add agent: Kubernetes');
    await shot('add-agent-kubernetes');

    // The tabs follow the arrow keys, as the ARIA tabs pattern has it.
    await page.getByRole('tab', { name: 'Kubernetes' }).press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'DC/OS' }).getAttribute('aria-selected')).toBe('true');
    const dcos = await page.locator('pre[data-command="dcos"]').textContent();
    expect(dcos).toContain(`"GENNAKER_INSTALL_TOKEN": "${token}"`);
    expect(dcos).toContain('dcos marathon app add gennaker-agent.json');
    expect(dcos).toContain(`"uri": "${stack.url}/downloads/gennaker-agent.mjs"`);
    await shot('add-agent-dcos');
    await page.getByRole('tab', { name: 'DC/OS' }).press('Home');
    expect(await page.getByRole('tab', { name: 'Local' }).getAttribute('aria-selected')).toBe('true');
  });

  it('serves the agent bundle the stack runs, as JavaScript, past the SPA fallback, and its checksum', async () => {
    const res = await fetch(`${stack.url}${AGENT_DOWNLOAD_PATH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^(text|application)\/javascript\b/);
    expect(Buffer.from(await res.arrayBuffer()).equals(await readFile(AGENT_BUNDLE))).toBe(true);
    const sum = await fetch(`${stack.url}${AGENT_CHECKSUM_PATH}`);
    expect(sum.status).toBe(200);
    expect(await sum.text()).toBe(`${await bundleSha256()}  gennaker-agent.mjs\n`);
  });

  it('registers a second agent by running the shown local command as it is, which the page then lists online', async () => {
    const command = (await page.locator('pre[data-command="local"]').textContent())!;
    expect(command).toMatch(/^curl .* &&\necho '[0-9a-f]{64} {2}gennaker-agent\.mjs' \| sha256sum -c - &&\nnode gennaker-agent\.mjs \\\n/);
    // A shell runs the command word for word, in a folder of its own that is also its home (the
    // ~ of --state), with this test's Node first on PATH: the download comes from the stack.
    const home = path.join(stateDir, 'second-agent');
    await mkdir(home, { recursive: true });
    const env = { ...process.env, HOME: home, PATH: [path.dirname(process.execPath), process.env.PATH].join(path.delimiter) };
    secondAgent = spawnGroup('/bin/sh', ['-c', command], { cwd: home, env });
    const log = createWriteStream(path.join(stateDir, 'second-agent.log'));
    secondAgent.stdout?.pipe(log);
    secondAgent.stderr?.pipe(log);

    // The page refreshes itself; no reload.
    const row = agentRow(SECOND_AGENT);
    await expect
      .poll(() => row.locator('[data-agent-status]').getAttribute('data-agent-status').catch(() => null), { timeout: 60_000, interval: 500 })
      .toBe('online');
    expect(await row.locator('.accounts li').allTextContents()).toEqual([expect.stringMatching(/^local-2\s+local\s+local$/)]);
    expect(await agentRow('local-agent').locator('[data-agent-status]').getAttribute('data-agent-status')).toBe('online');
    // The list refreshed under the open panel, but the commands for this token did not change.
    expect(await page.locator('pre[data-command="local"]').textContent()).toBe(command);
    // It runs the agent it downloaded, and keeps its credential where the command said.
    expect((await readFile(path.join(home, 'gennaker-agent.mjs'))).equals(await readFile(AGENT_BUNDLE))).toBe(true);
    expect(JSON.parse(await readFile(path.join(home, '.gennaker-agent.json'), 'utf8'))).toMatchObject({ server: stack.url, name: SECOND_AGENT });
    await shot('agents-two-online');

    // Done drops the token: it is nowhere on the page any more.
    const token = await page.locator('#install-token').inputValue();
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.locator('#install-token').count()).toBe(0);
    expect(await page.content()).not.toContain(token);
    // The token worked once; a second registration with it is refused.
    const again = await fetch(`${stack.url}/api/agent/v1/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ installToken: token, name: 'third', version: '1', accounts: [] }),
    });
    expect(again.status).toBe(401);
  });

  it('revokes the second agent after a confirmation', async () => {
    await stopGroup(secondAgent!);
    secondAgent = undefined;
    await page.getByRole('button', { name: `Revoke ${SECOND_AGENT}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke agent' }).click();
    await expect.poll(() => agentRow(SECOND_AGENT).locator('[data-agent-status]').getAttribute('data-agent-status')).toBe('revoked');
    const { items } = await asAdmin('/agents');
    expect(items.find((a: { name: string }) => a.name === SECOND_AGENT).status).toBe('revoked');
    expect(await page.getByRole('button', { name: `Revoke ${SECOND_AGENT}` }).count()).toBe(0);

    // Its account is free to move to a new agent (how an agent is replaced), and the form says so.
    await page.getByRole('button', { name: 'Add agent' }).click();
    await page.getByRole('button', { name: 'Create install token' }).click();
    await page.locator('#agent-account').fill('local-2');
    await expect.poll(() => page.locator('#agent-account-hint').textContent()).toBe(
      `Moves local-2 from the revoked agent \u201c${SECOND_AGENT}\u201d to the new one: that is how an agent is replaced.`,
    );
    expect(await page.locator('pre[data-command="local"]').textContent()).toContain('--account local-2:local:local');
    await page.getByRole('button', { name: 'Done' }).click();
  });

  it('creates a user and shows the initial password once', async () => {
    await nav('Users').click();
    await page.waitForURL(`${stack.url}/users`);
    await page.locator(`tr[data-user="${stack.adminEmail}"]`).waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    await page.locator('#user-email').fill('not-an-email');
    await page.locator('#user-name').fill(member.name);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator('#user-email-error').waitFor();
    expect(await page.locator('#user-email').getAttribute('aria-invalid')).toBe('true');
    await assertAccessible(page, 'new user');
    await shot('users-create-error');

    await page.locator('#user-email').fill(member.email);
    member.password = await page.locator('#user-password').inputValue();
    expect(member.password.length).toBeGreaterThanOrEqual(12);
    await page.getByRole('button', { name: 'Create user' }).click();
    const shown = page.locator('#new-user-password');
    await shown.waitFor();
    expect(await shown.inputValue()).toBe(member.password);
    await expect.poll(() => page.locator(`tr[data-user="${member.email}"]`).textContent()).toContain('member');
    await assertAccessible(page, 'users');
    await shot('users-created');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.locator('#new-user-password').count()).toBe(0);
    expect(await page.content()).not.toContain(member.password);

    const users = await asAdmin('/users');
    expect(users.items.find((u: { email: string }) => u.email === member.email)).toMatchObject({ name: member.name, role: 'member' });
  });

  it('lets the new member sign in, without the admin-only sections', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const p = await context.newPage();
      await p.goto(`${stack.url}/signin`);
      await p.getByLabel('Email').fill(member.email);
      await p.getByLabel('Password').fill(member.password);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.waitForURL(`${stack.url}/applications`);
      const links = p.getByRole('navigation', { name: 'Main' }).getByRole('link');
      expect(await links.allTextContents()).toEqual(['Applications', 'Agents']);
      await p.goto(`${stack.url}/agents`);
      await p.locator('tr[data-agent="local-agent"]').waitFor();
      expect(await p.getByRole('button', { name: 'Add agent' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('lists the creation in the audit log, filtered, with its details', async () => {
    await nav('Audit log').click();
    await page.waitForURL(`${stack.url}/audit`);
    await page.locator('tr[data-event="user.create"]').first().waitFor();
    await shot('audit');

    await page.locator('#audit-action').fill('user');
    await page.locator('#audit-actor').fill(stack.adminEmail);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/\/audit\?actor=.*&action=user$/);
    const rows = page.locator('tbody tr[data-event]');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(stack.adminEmail);
    await rows.first().getByRole('button', { name: /^Details of user.create/ }).click();
    const details = page.locator('tr.detail');
    expect(await details.textContent()).toContain(member.email);
    expect(await rows.first().getByRole('button', { name: /^Details of/ }).getAttribute('aria-expanded')).toBe('true');
    await assertAccessible(page, 'audit');
    await shot('audit-filtered');

    // The filters are in the address, so a reload shows the same events.
    await page.reload();
    await expect.poll(() => page.locator('tbody tr[data-event]').count()).toBe(1);
    expect(await page.locator('#audit-action').inputValue()).toBe('user');

    // A range the API refuses is shown at its field.
    await page.locator('#audit-from').fill('2030-01-02T00:00');
    await page.locator('#audit-to').fill('2030-01-01T00:00');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('#audit-to-error').textContent()).toContain('must be after from');
    expect(await page.locator('#audit-to').getAttribute('aria-invalid')).toBe('true');
    await shot('audit-refused-range');
  });

  it('pages through older events with the cursor', async () => {
    // More than a page (50) of one action.
    for (let i = 0; i < 52; i++) await asAdmin('/agents/install-tokens', { method: 'POST', body: { expiresInMinutes: 1 } });
    await page.goto(`${stack.url}/audit?action=agent.install-token.create`);
    const rows = page.locator('tbody tr[data-event]');
    await expect.poll(() => rows.count()).toBe(50);
    const firstPage = await rows.locator('button[aria-controls]').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-controls')));
    const { total } = await asAdmin('/audit?action=agent.install-token.create&limit=1');
    expect(total).toBeGreaterThan(50);
    await page.getByRole('link', { name: 'Older →' }).click();
    await page.waitForURL(/cursor=/);
    await expect.poll(() => rows.count()).toBe(total - 50);
    const secondPage = await rows.locator('button[aria-controls]').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-controls')));
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);
    expect(await page.getByRole('link', { name: 'Older →' }).count()).toBe(0);
    await assertAccessible(page, 'audit, older page');
    await shot('audit-older');
    await page.getByRole('link', { name: 'Newest' }).click();
    await expect.poll(() => rows.count()).toBe(50);
  });
});
