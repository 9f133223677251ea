// Console figures in Debian's Chromium against a throwaway stack serving the built console
// (dist/console): the gzipped JavaScript a first load fetches, the clusters view drawing 500 server
// groups reported through the agent protocol, the pipelines view over 1,000 executions started
// through the API, and axe-core's serious and critical violations on every screen.
import { access } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium, ROOT } from '../app/e2e/support.ts';
import { axeViolations } from './console-axe.mjs';
import { benchStack } from './stack.mjs';

const PORT = 8890;
const APP = 'bench';
const RUNS = 5;
/** 10 clusters × 2 locations × 25 server groups, one enabled per location, as a long-lived app has. */
const CLUSTERS = 10;
const LOCATIONS = ['east', 'west'];
const GROUPS_PER_LOCATION = 25;
/** 1,000 executions over 4 pipelines, started 40 at a time (the engine takes ~25 a second). */
const PIPELINES = 4;
const EXECUTIONS = 1000;
const START_BATCH = 40;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` again when wrangler dev answers 503 (it restarts its worker when sources change under it). */
async function retried(fn, attempts = 4) {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !/: 503 /.test(err.message)) throw err;
      await sleep(500 * i);
    }
  }
}

/** Signs the page's context in through the console's own form. */
async function signIn(page, stack) {
  await page.goto(`${stack.url}/signin`);
  await page.getByLabel('Email').fill(stack.adminEmail);
  await page.getByLabel('Password').fill(stack.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${stack.url}/applications`);
}

/**
 * The JavaScript a first visit fetches: `/` (which sends a signed-out user to sign in), signing in,
 * and the applications list, each response's body gzipped here (wrangler dev serves it plain).
 */
async function firstLoadJsGzipKb(browser, stack) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sizes = new Map();
  page.on('response', async (res) => {
    const type = res.headers()['content-type'] ?? '';
    if (!/javascript/.test(type) && !res.url().endsWith('.js')) return;
    try {
      sizes.set(res.url(), gzipSync(await res.body(), { level: 9 }).length);
    } catch {
      // A response without a body (a redirect) fetches no code.
    }
  });
  await page.goto(`${stack.url}/`);
  await page.waitForURL(/\/signin/);
  await page.getByLabel('Email').fill(stack.adminEmail);
  await page.getByLabel('Password').fill(stack.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${stack.url}/applications`);
  await page.locator('table.table tbody tr').first().waitFor();
  await page.waitForLoadState('networkidle');
  await context.close();
  const bytes = [...sizes.values()].reduce((a, b) => a + b, 0);
  console.log(`console: first load fetched ${sizes.size} scripts, ${(bytes / 1024).toFixed(1)} KB gzipped`);
  return bytes / 1024;
}

/** Registers an agent serving account `bench` in both locations; answers its credential. */
async function benchAgent(stack, call) {
  const { token } = await call('POST', '/agents/install-tokens', { expiresInMinutes: 5 });
  const res = await fetch(`${stack.url}/api/agent/v1/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ installToken: token, name: 'bench-agent', version: '0.0.0', accounts: [{ name: 'bench', provider: 'local', locations: LOCATIONS }] }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  return (await res.json()).credential;
}

/** 500 server groups (each with two instances) in one inventory report, as an agent sends it. */
function inventory() {
  const now = Date.now();
  const serverGroups = [];
  for (let c = 0; c < CLUSTERS; c++) {
    const stack = `s${c}`;
    const cluster = `${APP}-${stack}`;
    for (const location of LOCATIONS) {
      for (let seq = 0; seq < GROUPS_PER_LOCATION; seq++) {
        const name = `${cluster}-v${String(seq).padStart(3, '0')}`;
        const latest = seq === GROUPS_PER_LOCATION - 1;
        serverGroups.push({
          name,
          location,
          moniker: { app: APP, stack, detail: '', cluster, sequence: seq },
          disabled: !latest,
          capacity: { min: 2, max: 2, desired: 2 },
          artifact: { type: 'process', version: `1.${seq}.0` },
          loadBalancers: [cluster],
          createdAt: now - (GROUPS_PER_LOCATION - seq) * 3_600_000,
          instances: [0, 1].map((i) => ({ id: `${name}-${i}`, name: `${name}-${i}`, health: latest ? 'Up' : 'OutOfService', address: null, launchedAt: null })),
        });
      }
    }
  }
  return { account: 'bench', serverGroups, loadBalancers: [] };
}

async function reportInventory(stack, call) {
  const credential = await benchAgent(stack, call);
  const res = await fetch(`${stack.url}/api/agent/v1/inventory`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${credential}` },
    body: JSON.stringify(inventory()),
  });
  if (!res.ok) throw new Error(`inventory: ${res.status} ${await res.text()}`);
  const accepted = await res.json();
  if (accepted.serverGroups !== CLUSTERS * LOCATIONS.length * GROUPS_PER_LOCATION) throw new Error(`inventory took ${accepted.serverGroups} groups`);
}

/** Starts `EXECUTIONS` one-stage runs over `PIPELINES` pipelines and waits until all have ended. */
async function startExecutions(call) {
  const ids = [];
  for (let i = 0; i < PIPELINES; i++) {
    const p = await call('POST', `/applications/${APP}/pipelines`, { name: `Pipeline ${i + 1}`, stages: [{ refId: '1', type: 'wait', name: 'Settle', waitTime: 0 }] });
    ids.push(p.id);
  }
  for (let n = 0; n < EXECUTIONS; n += START_BATCH) {
    const batch = Array.from({ length: Math.min(START_BATCH, EXECUTIONS - n) }, (_, i) => ids[(n + i) % PIPELINES]);
    await Promise.all(batch.map((id) => retried(() => call('POST', `/pipelines/${id}/executions`, {}))));
  }
  const deadline = Date.now() + 300_000;
  for (;;) {
    const active = await call('GET', `/applications/${APP}/executions?status=NOT_STARTED,RUNNING&limit=1`);
    if (active.items.length === 0) break;
    if (Date.now() > deadline) throw new Error('executions still running after 5 minutes');
    await sleep(1000);
  }
  let listed = 0;
  for (let cursor = ''; ; ) {
    const page = await call('GET', `/applications/${APP}/executions?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    listed += page.items.length;
    if (!page.nextCursor) break;
    cursor = encodeURIComponent(page.nextCursor);
  }
  // A retried start may have been stored the first time too: at least 1,000, then.
  if (listed < EXECUTIONS) throw new Error(`expected ${EXECUTIONS} executions, the API lists ${listed}`);
  return ids;
}

/**
 * Median time from navigation start to the view drawn: `ready` runs in the page on every frame
 * until the view's content is in the DOM, and the frame's `performance.now()` is the figure.
 */
async function renderMs(page, url, ready, arg) {
  const samples = [];
  const apiEnds = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto('about:blank');
    await page.goto(url, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(ready, arg, { polling: 'raf', timeout: 30_000 });
    samples.push(await handle.jsonValue());
    // When the last API answer the view waited for arrived: the rest is the console's own work.
    apiEnds.push(await page.evaluate(() => Math.max(0, ...performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/')).map((e) => e.responseEnd))));
  }
  console.log(`console: ${new URL(url).pathname}: drawn at ${median(samples).toFixed(0)} ms, last API answer at ${median(apiEnds).toFixed(0)} ms (medians of ${RUNS})`);
  return median(samples);
}

/** Every section of the clusters view drawn, each location with its cards. */
function clustersReady(clusters) {
  const sections = document.querySelectorAll('section.cluster');
  if (sections.length !== clusters) return false;
  const locations = document.querySelectorAll('section.cluster .location');
  return [...locations].every((l) => l.querySelector('[data-server-group]')) && performance.now();
}

/** Every pipeline of the pipelines view drawn with its first page of runs. */
function executionsReady(pipelines) {
  const groups = document.querySelectorAll('section.group[data-pipeline]');
  return groups.length === pipelines && [...groups].every((g) => g.querySelector('li.run')) && performance.now();
}

/** Returns `{figure: {value, unit}}` for the console. */
export async function benchConsole() {
  await access(path.join(ROOT, 'dist/console/index.html')).catch(() => {
    throw new Error('dist/console is missing: run `npm run build` first');
  });
  const { stack, call, stop } = await benchStack(PORT);
  const browser = await launchChromium();
  try {
    await call('POST', '/applications', { name: APP, description: 'Console benchmark: 500 server groups, 1,000 executions' });
    const firstLoad = await firstLoadJsGzipKb(browser, stack);

    await reportInventory(stack, call);
    await startExecutions(call);

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await signIn(page, stack);
    const clustersMs = await renderMs(page, `${stack.url}/applications/${APP}/clusters`, clustersReady, CLUSTERS);
    const executionsMs = await renderMs(page, `${stack.url}/applications/${APP}`, executionsReady, PIPELINES);
    console.log(`console: clusters view (500 server groups) ${clustersMs.toFixed(0)} ms, pipelines view (1,000 executions) ${executionsMs.toFixed(0)} ms`);

    const violations = await axeViolations(browser, context, stack, call, APP);
    await context.close();
    return {
      'console.first_load_js_gzip_kb': { value: firstLoad, unit: 'KB' },
      'console.clusters_500_render_ms': { value: clustersMs, unit: 'ms' },
      'console.executions_1000_render_ms': { value: executionsMs, unit: 'ms' },
      'console.axe_serious_violations': { value: violations, unit: 'count' },
    };
  } finally {
    await browser.close();
    await stop();
  }
}
