// The clusters view against the real local stack with its agent: two red/black deploys of
// examples/hello run as real processes, then the console shows the server groups, rolls back to
// the older one through the confirmation, shows the action's execution with its agent tasks, and
// shows a traffic guard's refusal in the dialog.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesLoggingTo } from '../../agents/providers/local/testing.ts';
import { startStack, type Stack } from '../../scripts/stack.mjs';
import { adminApi, launchChromium, SHOTS } from './support.ts';

const PORT = 8794;
const APP = 'hello';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

let stack: Stack;
let stateDir: string;
let browser: Browser;
let page: Page;
/** The second deploy's execution: its stage deployed hello-web-v001. */
let secondDeploy = '';

interface Group {
  id: string;
  name: string;
  disabled: boolean;
  instanceCounts: { up: number; total: number };
}

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

const asAdmin = adminApi(() => stack);

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The hello-web server groups as the edge knows them, once `check` holds. */
async function groups(check: (gs: Group[]) => boolean): Promise<Group[]> {
  return until('inventory', async () => {
    const json = await asAdmin(`/applications/${APP}/clusters`);
    const gs: Group[] = json.accounts?.[0]?.clusters?.find((c: { cluster: string }) => c.cluster === 'hello-web')?.locations?.[0]?.serverGroups ?? [];
    return check(gs) ? gs : undefined;
  });
}
const named = (gs: Group[], name: string) => gs.find((g) => g.name === name);

async function deploy(pipelineId: string, version: string): Promise<string> {
  const run = await asAdmin(`/pipelines/${pipelineId}/executions`, { method: 'POST', body: { parameters: { version } } });
  const done = await until(`deploy ${version}`, async () => {
    const e = await asAdmin(`/executions/${run.id}`);
    return ['NOT_STARTED', 'RUNNING'].includes(e.status) ? undefined : e;
  }, 90_000);
  expect(done.status, JSON.stringify(done.stages[0].error)).toBe('SUCCEEDED');
  return run.id;
}

const card = (name: string) => page.getByRole('link', { name: new RegExp(`^${name},`) });
const details = () => page.getByRole('complementary', { name: 'Server group details' });
const dialog = () => page.getByRole('dialog');

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'gennaker-clusters-e2e-'));
  await mkdir(SHOTS, { recursive: true });
  stack = await startStack({ port: PORT, stateDir, agent: true, seed: false });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);

  await asAdmin('/applications', { method: 'POST', body: { name: APP, description: 'examples/hello, deployed as local processes' } });
  await asAdmin('/applications', { method: 'POST', body: { name: 'quiet' } });
  const pipeline = await asAdmin(`/applications/${APP}/pipelines`, {
    method: 'POST',
    body: {
      name: 'Deploy',
      limitConcurrent: true,
      parameterConfig: [{ name: 'version', required: true }],
      stages: [{
        refId: '1', type: 'deploy', name: 'Deploy',
        clusters: [{
          account: 'local', location: 'local', application: APP, stack: 'web', strategy: 'redblack',
          capacity: { min: 1, max: 1, desired: 1 },
          artifact: { type: 'process', command: process.execPath, args: ['examples/hello/server.mjs'], env: { VERSION: '${parameters.version}' } },
          healthCheckTimeoutSec: 30,
        }],
      }],
    },
  });
  await deploy(pipeline.id, '1.0.0');
  // The next deploy plans from the inventory: wait until the agent has reported v000 serving.
  await groups((gs) => named(gs, 'hello-web-v000')?.disabled === false && named(gs, 'hello-web-v000')?.instanceCounts.up === 1);
  secondDeploy = await deploy(pipeline.id, '2.0.0');
  await groups((gs) => named(gs, 'hello-web-v000')?.disabled === true && named(gs, 'hello-web-v001')?.instanceCounts.up === 1);
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

describe('clusters in the console', () => {
  it('explains where server groups come from while an application has none', async () => {
    await page.goto(`${stack.url}/applications/quiet/clusters`);
    await page.waitForURL(/\/signin\?next=/);
    await page.getByLabel('Email').fill(stack.adminEmail);
    await page.getByLabel('Password').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.url}/applications/quiet/clusters`);
    await expect.poll(() => page.locator('.empty').textContent()).toContain('appear here when a pipeline');
    await page.getByRole('link', { name: 'Pipelines of quiet' }).click();
    await page.waitForURL(`${stack.url}/applications/quiet`);
  });

  it('shows both server groups by account, cluster and location, from the application page', async () => {
    await page.goto(`${stack.url}/applications/${APP}`);
    await page.getByRole('navigation', { name: `${APP} sections` }).getByRole('link', { name: 'Clusters' }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}/clusters`);
    const cluster = page.getByRole('region', { name: 'Cluster hello-web in local' });
    await expect.poll(() => cluster.getByRole('link', { name: /^hello-web-v\d{3},/ }).count()).toBe(2);
    // Newest first: v001 serves 2.0.0 with its one instance Up; v000 is disabled.
    expect(await card('hello-web-v001').getAttribute('aria-label')).toBe('hello-web-v001, enabled, version 2.0.0, 1 of 1 instances up');
    expect(await card('hello-web-v000').getAttribute('aria-label')).toMatch(/^hello-web-v000, disabled, version 1\.0\.0/);
    const order = await cluster.getByRole('link', { name: /^hello-web-v\d{3},/ }).evaluateAll((links) => links.map((l) => l.getAttribute('data-server-group')));
    expect(order).toEqual(['hello-web-v001', 'hello-web-v000']);
    const squares = card('hello-web-v001').locator('li[data-health]');
    expect(await squares.count()).toBe(1);
    expect(await squares.getAttribute('data-health')).toBe('Up');
    expect(await squares.getAttribute('title')).toMatch(/^hello-web-v001-0 · Up · http:\/\/127\.0\.0\.1:\d+$/);
    // The load balancer's address is a link that answers with the serving version.
    const lb = cluster.getByRole('link', { name: /^Load balancer hello-web at / });
    const address = (await lb.getAttribute('href'))!;
    expect(((await (await fetch(address)).json()) as { version: string }).version).toBe('2.0.0');
    expect(await cluster.textContent()).toContain('2 server groups, 1 enabled');
    await shot('clusters');
  });

  it('opens a server group in the details panel, and the deep link survives a reload', async () => {
    const gs = await groups((g) => g.length === 2);
    await card('hello-web-v000').click();
    await page.waitForURL(`${stack.url}/applications/${APP}/clusters?sg=${named(gs, 'hello-web-v000')!.id}`);
    await page.reload();
    await expect.poll(() => details().getByRole('heading', { level: 2 }).textContent()).toContain('hello-web-v000');
    expect(await card('hello-web-v000').getAttribute('aria-current')).toBe('true');
    const instances = details().getByRole('table', { name: 'Instances of hello-web-v000' });
    expect(await instances.locator('tbody tr').count()).toBe(1);
    expect(await instances.textContent()).toMatch(/hello-web-v000-0\s*launched .*Out of service/);
    const actions = details().getByRole('group', { name: 'Actions on hello-web-v000' });
    expect(await actions.getByRole('button').allTextContents()).toEqual(['Enable…', 'Resize…', 'Roll back to this group…', 'Destroy…']);
    expect(await details().textContent()).toContain('1.0.0');
    await shot('cluster-details');
  });

  it('rolls back to hello-web-v000 through a confirmation that states the effect, then links the execution', async () => {
    await details().getByRole('button', { name: 'Roll back to this group…' }).click();
    await expect.poll(() => dialog().getByRole('heading').textContent()).toBe('Roll back hello-web to hello-web-v000?');
    const effect = (await dialog().locator('#action-effect').textContent())!;
    expect(effect).toContain('Roll back hello-web to hello-web-v000 (version 1.0.0)');
    expect(effect).toContain('then hello-web-v001 (version 2.0.0) is disabled');
    await shot('cluster-rollback-confirm');

    await dialog().getByRole('button', { name: 'Roll back', exact: true }).click();
    await dialog().waitFor({ state: 'hidden' });
    const started = details().getByRole('list', { name: 'Recent actions on hello-web' }).getByRole('listitem');
    await expect.poll(() => started.count()).toBe(1);
    expect(await started.textContent()).toContain('Roll back hello-web to hello-web-v000');
    await expect.poll(() => started.locator('.status-badge').textContent(), { timeout: 60_000 }).toBe('Succeeded');
    // The view refreshes by itself: v000 serves again and v001 is out of the load balancer.
    await expect.poll(() => card('hello-web-v000').getAttribute('aria-label'), { timeout: 30_000 }).toMatch(/^hello-web-v000, enabled, version 1\.0\.0, 1 of 1 instances up$/);
    await expect.poll(() => card('hello-web-v001').getAttribute('aria-label')).toMatch(/^hello-web-v001, disabled/);
    expect(await details().getByRole('group', { name: 'Actions on hello-web-v000' }).getByRole('button').allTextContents()).toEqual(['Disable…', 'Resize…', 'Destroy…']);
    const gs = await groups((g) => g.length === 2);
    expect(gs.map((g) => [g.name, g.disabled])).toEqual([['hello-web-v001', true], ['hello-web-v000', false]]);
  });

  it("shows the action's execution with its agent tasks and their logs", async () => {
    await details().getByRole('link', { name: /^View execution/ }).click();
    await page.waitForURL(new RegExp(`/applications/${APP}/executions/${UUID}$`));
    await expect.poll(() => page.locator('h1 .status-badge').textContent()).toBe('Succeeded');
    // An agent's stage opens on its tasks: one to enable v000, one to disable v001, oldest first.
    await expect.poll(() => page.getByRole('tab', { name: 'Tasks' }).getAttribute('aria-selected')).toBe('true');
    const tasks = page.getByRole('table', { name: /^Agent tasks of / });
    await expect.poll(() => tasks.locator('tbody.task').count()).toBe(2);
    expect(await tasks.locator('tbody.task').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-operation')))).toEqual(['enableServerGroup', 'disableServerGroup']);
    const disable = tasks.locator('tbody.task[data-operation="disableServerGroup"]');
    expect(await disable.locator('tr').first().textContent()).toMatch(/disableServerGroup\s*hello-web-v001\s*local\s*Succeeded\s*1/);
    expect((await disable.locator('pre.log').textContent())!.length).toBeGreaterThan(0);
    await shot('execution-tasks');

    // The deploy that made v001 links it; the link finds it in the clusters view by name.
    await page.goto(`${stack.url}/applications/${APP}/executions/${secondDeploy}`);
    await page.getByRole('link', { name: 'Server group hello-web-v001 in the clusters view' }).click();
    const gs = await groups((g) => g.length === 2);
    await page.waitForURL(`${stack.url}/applications/${APP}/clusters?sg=${named(gs, 'hello-web-v001')!.id}`);
    await expect.poll(() => details().getByRole('heading', { level: 2 }).textContent()).toContain('hello-web-v001');
  });

  it('adds a traffic guard on the application page; disabling the last enabled group is then refused in the dialog', async () => {
    await page.goto(`${stack.url}/applications/${APP}`);
    await page.getByRole('button', { name: 'Edit traffic guards' }).click();
    const form = page.getByRole('form', { name: 'Traffic guards' });
    const row = form.getByRole('group', { name: 'Guard 1' });
    await row.getByLabel('Account').fill('local');
    await row.getByLabel('Location').fill('*');
    await row.getByLabel('Stack').fill('web');
    await form.getByRole('button', { name: 'Save guards' }).click();
    await form.waitFor({ state: 'detached' });
    await expect.poll(() => page.locator('.guards').textContent()).toContain('local/*/hello-web');
    expect((await asAdmin(`/applications/${APP}`)).trafficGuards).toEqual([{ account: 'local', location: '*', stack: 'web', detail: '', enabled: true }]);

    const gs = await groups((g) => g.length === 2);
    await page.goto(`${stack.url}/applications/${APP}/clusters?sg=${named(gs, 'hello-web-v000')!.id}`);
    await expect.poll(() => details().textContent()).toContain('guarded');
    await details().getByRole('button', { name: 'Disable…' }).click();
    expect(await dialog().locator('#action-effect').textContent()).toContain('No other server group of hello-web is enabled in local: the cluster stops serving there.');
    await dialog().getByRole('button', { name: 'Disable', exact: true }).click();
    const refusal = dialog().getByRole('alert');
    await expect.poll(() => refusal.textContent()).toContain('Refused by a traffic guard');
    const text = (await refusal.textContent())!;
    expect(text).toContain('protects cluster "hello-web" in local/local');
    expect(text).toContain('disabling hello-web-v000 would leave it with no Up instances');
    await shot('cluster-guard-refusal');

    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'hidden' });
    // Nothing was started: the cluster's recent actions are still only the rollback (listed after a reload too).
    const recent = details().getByRole('list', { name: 'Recent actions on hello-web' }).getByRole('listitem');
    expect(await recent.count()).toBe(1);
    expect(await recent.textContent()).toContain('Roll back hello-web to hello-web-v000');
    expect(named(await groups((g) => g.length === 2), 'hello-web-v000')!.disabled).toBe(false);
  });
});
