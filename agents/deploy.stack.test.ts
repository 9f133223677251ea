/**
 * Deploys with real processes end to end: the edge plans, the agent's local provider runs
 * `examples/hello`, and traffic goes through the provider's load balancer while it moves.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../scripts/stack.mjs';
import { processesLoggingTo } from './providers/local/testing.ts';

const PORT = 8821;
let stack: Awaited<ReturnType<typeof startStack>>;
let stateDir = '';

async function call(method: string, p: string, body?: unknown) {
  const res = await fetch(`${stack.url}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${stack.adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function finished(id: string) {
  return until(`execution ${id}`, async () => {
    const { json } = await call('GET', `/executions/${id}`);
    return ['NOT_STARTED', 'RUNNING'].includes(json.status) ? undefined : json;
  }, 90_000);
}

/** The cluster's server groups as the edge knows them once the agent has reported `expect`. */
async function groups(check: (gs: any[]) => boolean) {
  return until('inventory', async () => {
    const { json } = await call('GET', '/applications/hello/clusters');
    const gs = json.accounts?.[0]?.clusters?.find((c: any) => c.cluster === 'hello-web')?.locations?.[0]?.serverGroups ?? [];
    return check(gs) ? gs : undefined;
  });
}

async function lbAddress(): Promise<string> {
  return until('load balancer', async () => {
    const { json } = await call('GET', '/applications/hello/load-balancers');
    return json.items?.find((l: any) => l.name === 'hello-web')?.address ?? undefined;
  });
}

/** Sends requests through the load balancer, 4 at a time, until stopped (at most 3 minutes). */
function loadGenerator(address: string) {
  let stop = false;
  const results = { ok: 0, failed: 0, versions: new Set<string>(), errors: [] as string[] };
  const deadline = Date.now() + 180_000;
  const worker = async () => {
    while (!stop && Date.now() < deadline) {
      try {
        const res = await fetch(address);
        const body = await res.json() as { version?: string };
        if (res.ok) {
          results.ok++;
          if (body.version) results.versions.add(body.version);
        } else {
          results.failed++;
          results.errors.push(`HTTP ${res.status}`);
        }
      } catch (err) {
        results.failed++;
        results.errors.push((err as Error).message);
      }
    }
  };
  const running = Promise.all([worker(), worker(), worker(), worker()]);
  return { results, stop: async () => { stop = true; await running; return results; } };
}

const deployConfig = (strategy: string, extra: Record<string, unknown> = {}) => ({
  name: `deploy ${strategy}`,
  limitConcurrent: true,
  parameterConfig: [{ name: 'version', required: true }],
  stages: [{
    refId: '1', type: 'deploy', name: 'Deploy',
    clusters: [{
      account: 'local', location: 'local', application: 'hello', stack: 'web', strategy,
      capacity: { min: 2, max: 2, desired: 2 },
      artifact: { type: 'process', command: process.execPath, args: ['examples/hello/server.mjs'], env: { VERSION: '${parameters.version}', LATENCY_MS: '20' } },
      healthCheckTimeoutSec: 30,
      ...extra,
    }],
  }],
});

describe('deploying examples/hello with the local provider', () => {
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-deploy-'));
    stack = await startStack({ port: PORT, stateDir, agent: true, seed: false });
    expect((await call('POST', '/applications', { name: 'hello' })).status).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
    // The local provider's instances outlive the agent by design: end the ones this test started.
    for (const pid of await processesLoggingTo(stateDir)) process.kill(pid, 'SIGKILL');
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  let redblack = '';

  it('deploys v1 as hello-web-v000 with two healthy instances behind the load balancer', async () => {
    redblack = (await call('POST', '/applications/hello/pipelines', deployConfig('redblack', { maxRemainingAsgs: 2 }))).json.id;
    const run = await call('POST', `/pipelines/${redblack}/executions`, { parameters: { version: '1.0.0' } });
    const done = await finished(run.json.id);
    expect(done.status, JSON.stringify(done.stages[0].error)).toBe('SUCCEEDED');
    expect(done.stages[0].outputs.deployedServerGroups).toEqual(['hello-web-v000']);
    const gs = await groups((g) => g.length === 1 && g[0].instanceCounts.up === 2);
    expect(gs[0]).toMatchObject({ name: 'hello-web-v000', disabled: false });
    const res = await fetch(await lbAddress());
    expect(((await res.json()) as { version: string }).version).toBe('1.0.0');
  });

  it('red/black to v2 under load: zero failed requests, then only v2 serves', async () => {
    const address = await lbAddress();
    const load = loadGenerator(address);
    const run = await call('POST', `/pipelines/${redblack}/executions`, { parameters: { version: '2.0.0' } });
    const done = await finished(run.json.id);
    await new Promise((r) => setTimeout(r, 500));
    const results = await load.stop();
    expect(done.status, JSON.stringify(done.stages[0].error)).toBe('SUCCEEDED');
    expect(results.failed, results.errors.slice(0, 5).join('; ')).toBe(0);
    expect(results.ok).toBeGreaterThan(20);
    expect([...results.versions].sort()).toEqual(['1.0.0', '2.0.0']);
    const gs = await groups((g) => g.length === 2 && g.find((x: any) => x.name === 'hello-web-v000')?.disabled === true);
    expect(gs.map((g: any) => [g.name, g.disabled])).toEqual([['hello-web-v001', false], ['hello-web-v000', true]]);
    for (let i = 0; i < 6; i++) expect(((await (await fetch(address)).json()) as { version: string }).version).toBe('2.0.0');
  });

  it('rolls back to v1 from its server group in one action, recorded as an execution', async () => {
    const gs = await groups((g) => g.length === 2);
    const v000 = gs.find((g: any) => g.name === 'hello-web-v000');
    const action = await call('POST', `/server-groups/${v000.id}/actions`, { action: 'rollback' });
    expect(action.status).toBe(201);
    const done = await finished(action.json.id);
    expect(done.status, JSON.stringify(done.stages[0].error)).toBe('SUCCEEDED');
    expect(done.trigger).toMatchObject({ action: 'rollback', user: 'token:local-admin' });
    await groups((g) => g.find((x: any) => x.name === 'hello-web-v001')?.disabled === true);
    const address = await lbAddress();
    for (let i = 0; i < 6; i++) expect(((await (await fetch(address)).json()) as { version: string }).version).toBe('1.0.0');
  });

  it('a traffic guard refuses to disable the last enabled server group, naming the guard and the cluster', async () => {
    const patched = await call('PATCH', '/applications/hello', { trafficGuards: [{ account: 'local', location: '*', stack: 'web', detail: '' }] });
    expect(patched.status).toBe(200);
    const gs = await groups((g) => g.length === 2);
    const v000 = gs.find((g: any) => g.name === 'hello-web-v000');
    const refused = await call('POST', `/server-groups/${v000.id}/actions`, { action: 'disable' });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('hello-web');
    expect(refused.json.error.message).toMatch(/traffic guard/i);
  });

  it('maxRemainingAsgs 2 leaves two server groups after a third deploy', async () => {
    const run = await call('POST', `/pipelines/${redblack}/executions`, { parameters: { version: '3.0.0' } });
    const done = await finished(run.json.id);
    expect(done.status, JSON.stringify(done.stages[0].error)).toBe('SUCCEEDED');
    const gs = await groups((g) => g.length === 2 && g[0].name === 'hello-web-v002');
    expect(gs.map((g: any) => g.name)).toEqual(['hello-web-v002', 'hello-web-v001']);
  });

  it('highlander leaves only the new server group', async () => {
    const highlander = (await call('POST', '/applications/hello/pipelines', deployConfig('highlander'))).json.id;
    const run = await call('POST', `/pipelines/${highlander}/executions`, { parameters: { version: '4.0.0' } });
    const done = await finished(run.json.id);
    expect(done.status, JSON.stringify(done.stages[0].error)).toBe('SUCCEEDED');
    const gs = await groups((g) => g.length === 1);
    expect(gs[0].name).toBe('hello-web-v003');
  });
  it('rolling red/black [50]: at the 50% step about half the requests reach the new version, then all', async () => {
    // The new version starts slowly, so the step after "disable 50%" (growing to 100%) takes a few seconds to measure in.
    const artifact = { type: 'process', command: process.execPath, args: ['examples/hello/server.mjs'], env: { VERSION: '${parameters.version}', LATENCY_MS: '20', STARTUP_DELAY_MS: '3000' } };
    const rolling = (await call('POST', '/applications/hello/pipelines', deployConfig('rollingredblack', { targetPercentages: [50], artifact }))).json.id;
    const address = await lbAddress();
    const run = await call('POST', `/pipelines/${rolling}/executions`, { parameters: { version: '5.0.0' } });
    const labels = async () => ((await call('GET', `/executions/${run.json.id}`)).json.stages[0].outputs?.tasks ?? []).map((t: { label: string }) => t.label);
    await until('the 50% disable of hello-web-v003', async () => (await labels()).includes('disable 50% of hello-web-v003'), 60_000);

    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const body = (await (await fetch(address)).json()) as { version: string };
      counts[body.version] = (counts[body.version] ?? 0) + 1;
    }
    // Measured inside the step: the new group had not grown yet.
    expect(await labels()).not.toContain('resize hello-web-v004 to 100%');
    expect(Object.keys(counts).sort()).toEqual(['4.0.0', '5.0.0']);
    expect(counts['5.0.0']! / 40).toBeGreaterThanOrEqual(0.35);
    expect(counts['5.0.0']! / 40).toBeLessThanOrEqual(0.65);
    const mid = await groups((g) => g.find((x: any) => x.name === 'hello-web-v003')?.instanceCounts.outOfService === 1);
    expect(mid.find((x: any) => x.name === 'hello-web-v003')).toMatchObject({ disabled: false, instanceCounts: { up: 1, outOfService: 1 } });

    const done = await finished(run.json.id);
    expect(done.status, JSON.stringify(done.stages[0].error)).toBe('SUCCEEDED');
    expect(done.stages[0].outputs.tasks.map((t: { label: string }) => t.label)).toEqual([
      'create hello-web-v004', 'disable 50% of hello-web-v003', 'resize hello-web-v004 to 100%', 'disable hello-web-v003',
    ]);
    for (let i = 0; i < 6; i++) expect(((await (await fetch(address)).json()) as { version: string }).version).toBe('5.0.0');
  });

  it('a rolling red/black whose new group cannot grow rolls back under load: the old group serves whole again, the new one is disabled, no request fails', async () => {
    // Version 6 starts its first instance fine; any further instance exits at once, so growing to 100% fails.
    const start = "if (/-[1-9][0-9]*$/.test(process.env.GENNAKER_INSTANCE)) process.exit(1); import(require('node:path').resolve('examples/hello/server.mjs'));";
    const artifact = { type: 'process', command: process.execPath, args: ['-e', start], env: { VERSION: '${parameters.version}', LATENCY_MS: '20' } };
    const rolling = (await call('POST', '/applications/hello/pipelines', { ...deployConfig('rollingredblack', { targetPercentages: [50], artifact }), name: 'deploy rollingredblack rollback' })).json.id;
    const address = await lbAddress();
    const load = loadGenerator(address);
    const run = await call('POST', `/pipelines/${rolling}/executions`, { parameters: { version: '6.0.0' } });
    const done = await finished(run.json.id);
    await new Promise((r) => setTimeout(r, 500));
    const results = await load.stop();

    expect(done.status).toBe('TERMINAL');
    expect(done.stages[0].error.message).toMatch(/^resize hello-web-v005 to 100% failed: .*never became healthy/);
    expect(done.stages[0].outputs.tasks.map((t: { label: string }) => t.label)).toEqual([
      'create hello-web-v005', 'disable 50% of hello-web-v004', 'roll back: enable hello-web-v004', 'roll back: disable hello-web-v005',
    ]);
    expect(results.failed, results.errors.slice(0, 5).join('; ')).toBe(0);
    expect([...results.versions].sort()).toEqual(['5.0.0', '6.0.0']);
    const gs = await groups((g) => g.find((x: any) => x.name === 'hello-web-v005')?.disabled === true);
    expect(gs.find((x: any) => x.name === 'hello-web-v004')).toMatchObject({ disabled: false, instanceCounts: { up: 2, outOfService: 0 } });
    for (let i = 0; i < 6; i++) expect(((await (await fetch(address)).json()) as { version: string }).version).toBe('5.0.0');
  });
});
