// The pipeline editor's form mode against the real local stack with its agent, in Debian's
// Chromium: create an application, build deploy → manual judgment → wait in the form (stage
// graph, forms generated from each stage type's schema, parameters), see a bad expression and a
// cycle refused at the stage, run it twice with approvals, and roll back from the clusters view.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesLoggingTo } from '../../agents/providers/local/testing.ts';
import { startStack, type Stack } from '../../scripts/stack.mjs';
import { assertAccessible } from './axe.ts';
import { adminApi, launchChromium, SHOTS } from './support.ts';

const PORT = 8878;
const APP = 'greeter';
const PIPELINE = 'Ship greeter';
const CLUSTER = `${APP}-web`;

let stack: Stack;
let stateDir: string;
let browser: Browser;
let page: Page;
let pipelineUrl = '';
let pipelineId = '';

/** A full-page screenshot, taken scrolled to the top so the sticky version history sits where it starts. */
async function shot(name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}
const asAdmin = adminApi(() => stack);

const graph = () => page.getByRole('group', { name: 'Stages of this pipeline' });
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A stage's node by name: its label is the name, type and ID shown, then the order it runs in. */
const node = (name: string) => graph().getByRole('button', { name: new RegExp(`^${escape(name)} \\w+ #\\w+,`) });
const stageForm = () => page.getByRole('region', { name: /^Stage: / });
const settings = () => page.getByRole('region', { name: 'Pipeline settings' });
const saveButton = () => page.getByRole('button', { name: 'Save', exact: true });

/** Picks a stage type and adds it after the selected stage (or as the first stage). */
async function addStage(type: string, first = false) {
  await page.getByLabel('Type of the new stage').selectOption(type);
  await page.getByRole('button', { name: first ? 'Add first stage' : 'Add after', exact: true }).click();
}

/** Picks a stage type and adds it beside the selected stage (same requisites). */
async function addStageBeside(type: string) {
  await page.getByLabel('Type of the new stage').selectOption(type);
  await page.getByRole('button', { name: 'Add in parallel', exact: true }).click();
}

/** The config the edge holds now. */
async function saved(): Promise<{ version: number; config: Record<string, any> }> {
  return asAdmin(`/pipelines/${pipelineId}`);
}

async function focusedId(): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.id ?? null);
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'gennaker-pipeline-editor-e2e-'));
  await mkdir(SHOTS, { recursive: true });
  stack = await startStack({ port: PORT, stateDir, agent: true, seed: false });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
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

describe('the pipeline editor in form mode', () => {
  it('creates an application and a pipeline, which opens in the form', async () => {
    await page.goto(`${stack.url}/applications`);
    await page.waitForURL(/\/signin\?next=/);
    await page.getByLabel('Email').fill(stack.adminEmail);
    await page.getByLabel('Password').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.url}/applications`);
    await page.getByLabel('Name').fill(APP);
    await page.getByLabel('Owner email').fill('greeter@example.com');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.waitForURL(`${stack.url}/applications/${APP}`);

    await page.getByRole('button', { name: 'New pipeline' }).click();
    await page.getByLabel('Pipeline name').fill(PIPELINE);
    await page.getByRole('button', { name: 'Create and edit' }).click();
    await page.waitForURL(new RegExp(`/applications/${APP}/pipelines/[0-9a-f-]{36}$`));
    pipelineUrl = page.url();
    pipelineId = pipelineUrl.split('/').at(-1)!;

    // The form is where the editor opens, as in Deck: the graph (empty yet) and the pipeline's settings.
    const modes = page.getByRole('group', { name: 'Edit as' });
    await page.getByText('No stages yet').waitFor();
    expect(await modes.getByRole('button', { name: 'Form' }).getAttribute('aria-pressed')).toBe('true');
    expect(await modes.getByRole('button', { name: 'JSON' }).getAttribute('aria-pressed')).toBe('false');
    expect(await page.getByLabel('Pipeline config (JSON)').count()).toBe(0);
    expect(await settings().getByRole('textbox', { name: 'Name', exact: true }).inputValue()).toBe(PIPELINE);
    expect(await settings().getByRole('group', { name: 'Triggers' }).getByLabel('Type').inputValue()).toBe('manual');
    expect(await settings().getByLabel('Limit concurrent').isChecked()).toBe(true);
    await assertAccessible(page, 'pipeline form, no stages');
    await shot('pipeline-form-empty');
  });

  it('builds deploy → manual judgment → wait from forms generated from each stage type', async () => {
    await addStage('deploy', true);
    expect(await node('Deploy').getAttribute('aria-pressed')).toBe('true');
    const form = stageForm();
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Deploy greeter');
    const cluster = form.getByRole('group', { name: 'Cluster 1' });
    await cluster.getByLabel('Account').fill('local');
    await cluster.getByLabel('Location').fill('local');
    await cluster.getByLabel('Application').fill(APP);
    await cluster.getByLabel('Stack').fill('web');
    await cluster.getByLabel('Strategy').selectOption('redblack');
    const capacity = cluster.getByRole('group', { name: 'Capacity' });
    for (const field of ['Min', 'Max', 'Desired']) await capacity.getByLabel(field).fill('1');
    await cluster.getByLabel('Artifact').fill(
      JSON.stringify({ type: 'process', command: 'node', args: ['examples/hello/server.mjs'], env: { VERSION: '${parameters.version}' } }),
    );
    await cluster.getByLabel('Health check timeout (s)').fill('60');
    await assertAccessible(page, 'pipeline form, deploy stage');
    await shot('pipeline-form-deploy');

    await addStage('manualJudgment');
    await stageForm().getByRole('textbox', { name: 'Name', exact: true }).fill('Keep it?');
    await stageForm().getByLabel('Instructions').fill('Check the load balancer, then continue.');
    await stageForm().getByLabel('Judgment inputs').fill('keep\nroll back');

    await addStage('wait');
    await stageForm().getByRole('textbox', { name: 'Name', exact: true }).fill('Settle');
    await stageForm().getByLabel('Wait time').fill('1');

    // Another stage's reference ID is refused at the field, and the graph keeps its requisites.
    const refId = stageForm().getByLabel('Reference ID');
    await refId.fill('1');
    await refId.blur();
    await expect.poll(() => stageForm().locator('#pf-stage2-refId-error').textContent()).toBe('"1" is the ID of stage “Deploy greeter”: choose another');
    expect(await refId.getAttribute('aria-invalid')).toBe('true');
    expect(await node('Settle').getAttribute('aria-label')).toBe('Settle wait #3, runs after Keep it?');
    expect(await node('Deploy greeter').getAttribute('aria-label')).toMatch(/^Deploy greeter deploy #1,/);
    // The error goes as the typing fixes it.
    await refId.fill('3');
    await expect.poll(() => stageForm().locator('#pf-stage2-refId-error').count()).toBe(0);
    await refId.blur();

    // A stage beside the judgment waits for what it waits for; deleting it leaves the chain as it was.
    await node('Keep it?').click();
    await addStageBeside('wait');
    expect(await node('Wait').getAttribute('aria-label')).toBe('Wait wait #4, runs after Deploy greeter');
    await page.getByRole('button', { name: 'Delete stage Wait' }).click();
    await expect.poll(() => graph().getByRole('button').count()).toBe(3);

    // Graph nodes are buttons: reachable by keyboard, Enter selects.
    await node('Deploy greeter').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => node('Deploy greeter').getAttribute('aria-pressed')).toBe('true');
    expect(await stageForm().getByRole('heading', { level: 2 }).textContent()).toBe('Stage: Deploy greeter');

    // Requisites are checkboxes; a stage already downstream cannot be chosen (it would be a cycle).
    const runsAfter = stageForm().getByRole('group', { name: 'Runs after' });
    expect(await runsAfter.getByRole('checkbox', { name: /Keep it\?/ }).isDisabled()).toBe(true);
    expect(await runsAfter.getByRole('checkbox', { name: /Settle/ }).isDisabled()).toBe(true);

    const params = settings().getByRole('group', { name: 'Parameters' });
    await params.getByRole('button', { name: 'Add parameter' }).click();
    const version = params.getByRole('group', { name: 'Parameter 1' });
    await version.getByRole('textbox', { name: 'Name', exact: true }).fill('version');
    await version.getByLabel('Default').fill('1.0.0');
    await version.getByLabel('Required').check();

    // Drawn left to right in the order they run.
    const boxes = async () => Promise.all(['Deploy greeter', 'Keep it?', 'Settle'].map(async (n) => (await node(n).boundingBox())!));
    const [deploy, judge, settle] = await boxes();
    expect(judge.x).toBeGreaterThan(deploy.x);
    expect(settle.x).toBeGreaterThan(judge.x);
    await shot('pipeline-form-built');

    await saveButton().click();
    await page.getByText('Saved as version 2.').waitFor();
    const { config } = await saved();
    expect(config.stages.map((s: any) => [s.refId, s.type, s.name, s.requisiteStageRefIds])).toEqual([
      ['1', 'deploy', 'Deploy greeter', []],
      ['2', 'manualJudgment', 'Keep it?', ['1']],
      ['3', 'wait', 'Settle', ['2']],
    ]);
    expect(config.stages[0].clusters[0]).toMatchObject({
      account: 'local', location: 'local', application: APP, stack: 'web', strategy: 'redblack',
      capacity: { min: 1, max: 1, desired: 1 }, healthCheckTimeoutSec: 60,
      artifact: { type: 'process', command: 'node', args: ['examples/hello/server.mjs'] },
    });
    expect(config.stages[1].judgmentInputs).toEqual([{ value: 'keep' }, { value: 'roll back' }]);
    expect(config.stages[2].waitTime).toBe(1);
    expect(config.parameterConfig).toEqual([{ name: 'version', default: '1.0.0', required: true, options: [] }]);
  });

  it('shows a bad expression at its stage and field, and focuses the field', async () => {
    await node('Settle').click();
    await stageForm().getByLabel('Wait time').fill('${parameters.version +}');
    await saveButton().click();
    await expect.poll(() => page.locator('.save-error').textContent()).toContain('stages[2].waitTime');
    const waitTime = stageForm().getByLabel('Wait time');
    expect(await waitTime.getAttribute('aria-invalid')).toBe('true');
    expect(await focusedId()).toBe('pf-stage2-waitTime');
    expect(await node('Settle').getAttribute('aria-label')).toContain('has an error');
    expect(await stageForm().locator('#pf-stage2-waitTime-error').textContent()).toContain('parameters.version +');
    await assertAccessible(page, 'pipeline form, refused save');

    // From another stage, "Show the field" brings the stage and its field back.
    await node('Deploy greeter').click();
    await page.getByRole('button', { name: 'Show the field' }).click();
    await expect.poll(focusedId).toBe('pf-stage2-waitTime');
    await shot('pipeline-form-expression-error');

    await waitTime.fill('2');
    await saveButton().click();
    await page.getByText('Saved as version 3.').waitFor();
    expect((await saved()).config.stages[2].waitTime).toBe(2);
    expect(await page.locator('#pf-stage2-waitTime-error').count()).toBe(0);
  });

  it('opens JSON from the toggle and from a link, blocks the form while the JSON does not parse, and shows a cycle the API refuses at the stage', async () => {
    const modes = page.getByRole('group', { name: 'Edit as' });
    await modes.getByRole('button', { name: 'JSON' }).click();
    await page.waitForURL(`${pipelineUrl}?mode=json`);
    const editor = page.getByLabel('Pipeline config (JSON)');
    // The mode is in the URL: a reload (or a shared link) opens the JSON again.
    await page.reload();
    await editor.waitFor();
    expect(await modes.getByRole('button', { name: 'JSON' }).getAttribute('aria-pressed')).toBe('true');
    await assertAccessible(page, 'pipeline JSON editor');
    const text = await editor.inputValue();
    expect(JSON.parse(text).stages[2].waitTime).toBe(2);

    await editor.fill(text.replace('"name": "Settle",', '"name": "Settle"'));
    await modes.getByRole('button', { name: 'Form' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Still in JSON mode.');
    expect(new URL(page.url()).searchParams.get('mode')).toBe('json');
    await shot('pipeline-form-blocked');

    // Deploy made to wait for Settle, which waits for it: JSON allows it, the API does not.
    const cyclic = JSON.parse(text);
    cyclic.stages[0].requisiteStageRefIds = ['3'];
    await editor.fill(JSON.stringify(cyclic, null, 2));
    await modes.getByRole('button', { name: 'Form' }).click();
    await page.waitForURL(pipelineUrl);
    await saveButton().click();
    await expect.poll(() => page.locator('.save-error').textContent()).toContain('cycle');
    expect(await node('Deploy greeter').getAttribute('aria-label')).toContain('has an error: stages form a cycle');
    const runsAfter = stageForm().getByRole('group', { name: 'Runs after' });
    expect(await runsAfter.getByRole('alert').textContent()).toContain('stages form a cycle');
    expect(await focusedId()).toBe('pf-stage0-requisiteStageRefIds');
    await shot('pipeline-form-cycle-error');

    // Unchecking the requisite is the fix: the config is the saved one again, nothing to save.
    await runsAfter.getByRole('checkbox', { name: /Settle/ }).uncheck();
    await expect.poll(() => saveButton().isDisabled()).toBe(true);
    expect(await page.getByText('unsaved changes').count()).toBe(0);
    expect((await saved())).toMatchObject({ version: 3, config: { stages: [{ requisiteStageRefIds: [] }, {}, {}] } });
  });

  /** Starts the pipeline from the application page with `version`, approves its judgment and waits for SUCCEEDED. */
  async function runAndApprove(version: string) {
    await page.goto(`${stack.url}/applications/${APP}`);
    const group = page.getByRole('region', { name: PIPELINE, exact: true });
    await group.getByRole('button', { name: `Start ${PIPELINE}` }).click();
    const start = page.getByRole('form', { name: `Start ${PIPELINE}` });
    await start.getByLabel('version').fill(version);
    await start.getByRole('button', { name: 'Start execution' }).click();
    // Under load the first start (admission's Durable Object waking up) can take a while.
    await start.waitFor({ state: 'detached', timeout: 45_000 });
    await group.locator('li.run').first().getByRole('link', { name: /^Execution / }).click();
    await page.waitForURL(new RegExp(`/applications/${APP}/executions/`));
    const judgment = page.getByRole('region', { name: 'Awaiting your judgment' });
    await judgment.waitFor({ timeout: 90_000 });
    expect(await judgment.textContent()).toContain('Check the load balancer, then continue.');
    await judgment.getByLabel('Judgment input').selectOption('keep');
    await judgment.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.locator('h1 .status-badge').textContent(), { timeout: 30_000 }).toBe('Succeeded');
  }

  const card = (name: string): Locator => page.getByRole('link', { name: new RegExp(`^${escape(name)},`) });

  it('runs it, approves the judgment and sees the new server group in the clusters view', async () => {
    await runAndApprove('1.0.0');
    await shot('pipeline-form-run-succeeded');
    await page.goto(`${stack.url}/applications/${APP}/clusters`);
    await expect.poll(() => card(`${CLUSTER}-v000`).getAttribute('aria-label'), { timeout: 60_000 }).toMatch(
      new RegExp(`^${CLUSTER}-v000, enabled, version 1\\.0\\.0, 1 of 1 instances up$`),
    );
  });

  it('deploys again and rolls back to the first server group from the clusters view', async () => {
    await runAndApprove('2.0.0');
    await page.goto(`${stack.url}/applications/${APP}/clusters`);
    await expect.poll(() => card(`${CLUSTER}-v001`).getAttribute('aria-label'), { timeout: 60_000 }).toMatch(/, enabled, version 2\.0\.0, 1 of 1 instances up$/);
    await expect.poll(() => card(`${CLUSTER}-v000`).getAttribute('aria-label')).toMatch(/, disabled, /);

    await card(`${CLUSTER}-v000`).click();
    const details = page.getByRole('complementary', { name: 'Server group details' });
    await details.getByRole('button', { name: 'Roll back to this group…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Roll back', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => card(`${CLUSTER}-v000`).getAttribute('aria-label'), { timeout: 60_000 }).toMatch(/, enabled, version 1\.0\.0, 1 of 1 instances up$/);
    await expect.poll(() => card(`${CLUSTER}-v001`).getAttribute('aria-label')).toMatch(/, disabled/);
    await shot('pipeline-form-rolled-back');
  });
});
