/**
 * Faults during a deploy on the real stack: the agent SIGKILLed while it runs a create, the edge
 * (wrangler dev) stopped and started again under a running create, and a completion sent twice.
 * Each deploy must end SUCCEEDED with exactly one new server group and exactly `desired`
 * instance processes: a re-delivered task finds its own work instead of doing it again.
 *
 * The edge runs from `startStack({ agent: false })` and the agent from `startAgent`, so each can be
 * stopped, killed or restarted without the other; both keep the one state dir (D1, agent.json,
 * the local provider's state and instance logs).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../scripts/stack.mjs';
import { startAgent } from '../scripts/stack/agent.mjs';
import { groupAlive, stopGroup } from '../scripts/stack/processes.mjs';
import { processesLoggingTo } from './providers/local/testing.ts';

const PORT = 8822;
const DESIRED = 2;
let stack: Stack | undefined;
let agent: ChildProcess | undefined;
let stateDir = '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function api() {
  if (!stack) throw new Error('the edge is not running');
  return stack;
}

async function call(method: string, p: string, body?: unknown) {
  const { url, adminToken } = api();
  const res = await fetch(`${url}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** Polls `fn` every 200 ms until it returns something truthy; fails after `timeoutMs` naming `what` and the last value seen. */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastError = ` (last error: ${(err as Error).message})`;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError}`);
    await sleep(200);
  }
}

async function finished(id: string, timeoutMs = 90_000) {
  return until(`execution ${id} to finish`, async () => {
    const { json } = await call('GET', `/executions/${id}`);
    return ['NOT_STARTED', 'RUNNING'].includes(json.status) ? undefined : json;
  }, timeoutMs);
}

/** The deploy stage's tasks (oldest first), once the stage exists. */
async function stageTasks(executionId: string): Promise<{ stageId: string; tasks: any[] }> {
  const { json: execution } = await call('GET', `/executions/${executionId}`);
  const stageId = execution.stages?.[0]?.id as string | undefined;
  if (!stageId) return { stageId: '', tasks: [] };
  const { status, json } = await call('GET', `/executions/${executionId}/stages/${stageId}/tasks`);
  if (status !== 200) throw new Error(`tasks of stage ${stageId}: HTTP ${status}`);
  return { stageId, tasks: json.items };
}

/** The server groups of cluster `hello-<stackName>` as the edge knows them, once `check` holds. */
async function groups(cluster: string, check: (gs: any[]) => boolean, timeoutMs = 45_000) {
  return until(`inventory of ${cluster}`, async () => {
    const { json } = await call('GET', '/applications/hello/clusters');
    const gs = json.accounts?.[0]?.clusters?.find((c: any) => c.cluster === cluster)?.locations?.[0]?.serverGroups ?? [];
    return check(gs) ? gs : undefined;
  }, timeoutMs);
}

/** Instance processes of a cluster: every running process whose stdout is one of its logs. */
const instancesOf = (cluster: string) => processesLoggingTo(stateDir, `.${cluster}-v`);

/** A one-stage pipeline deploying `hello-<stackName>` red/black; `startupDelayMs` keeps its create busy that long. */
async function deployPipeline(stackName: string, startupDelayMs: number): Promise<string> {
  const created = await call('POST', '/applications/hello/pipelines', {
    name: `deploy ${stackName}`,
    stages: [{
      refId: '1', type: 'deploy', name: 'Deploy',
      clusters: [{
        account: 'local', location: 'local', application: 'hello', stack: stackName, strategy: 'redblack',
        capacity: { min: DESIRED, max: DESIRED, desired: DESIRED },
        artifact: { type: 'process', command: process.execPath, args: ['examples/hello/server.mjs'], env: { VERSION: '1.0.0', STARTUP_DELAY_MS: String(startupDelayMs) } },
        healthCheckTimeoutSec: 60,
      }],
    }],
  });
  expect(created.status).toBe(201);
  return created.json.id;
}

/** Starts the deploy and waits until its create task is LEASED and its instance processes exist (not yet healthy). */
async function startSlowDeploy(stackName: string) {
  const pipeline = await deployPipeline(stackName, 4_000);
  const run = await call('POST', `/pipelines/${pipeline}/executions`, {});
  expect(run.status).toBe(201);
  const id = run.json.id as string;
  const leased = await until('the create task to be LEASED', async () => {
    const { tasks } = await stageTasks(id);
    return tasks[0]?.status === 'LEASED' ? tasks[0] : undefined;
  }, 20_000);
  expect(leased).toMatchObject({ operation: 'createServerGroup', attempt: 1 });
  // Mid-create: both instances launched (and recorded a moment later), health still pending (4 s startup delay).
  await until('both instance processes to start', async () => (await instancesOf(`hello-${stackName}`)).length === DESIRED, 10_000);
  await sleep(300);
  return { id, taskId: leased.id as string };
}

/** The deploy ended well with one new server group of `DESIRED` Up instances, and no more processes than that. */
async function expectOneServerGroup(stackName: string, done: any) {
  const cluster = `hello-${stackName}`;
  expect(done.status, JSON.stringify(done.stages[0].error)).toBe('SUCCEEDED');
  expect(done.stages[0].outputs.deployedServerGroups).toEqual([`${cluster}-v000`]);
  const gs = await groups(cluster, (g) => g.length === 1 && g[0].instanceCounts.up === DESIRED);
  expect(gs.map((g: any) => [g.name, g.disabled])).toEqual([[`${cluster}-v000`, false]]);
  expect(await instancesOf(cluster)).toHaveLength(DESIRED);
}

const startEdge = () => startStack({ port: PORT, stateDir, agent: false, seed: false });
const startLocalAgent = async () => {
  const { url, adminToken } = api();
  agent = (await startAgent({ url, adminToken, stateDir, say: () => undefined, logFile: path.join(stateDir, 'agent.log') })).child;
};

describe('deploys survive faults of the agent and the edge', () => {
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-faults-'));
    stack = await startEdge();
    await startLocalAgent();
    expect((await call('POST', '/applications', { name: 'hello' })).status).toBe(201);
  });
  afterAll(async () => {
    if (agent) await stopGroup(agent);
    await stack?.stop();
    // Instances outlive the agent by design: end the ones this file started.
    for (const pid of await processesLoggingTo(stateDir)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('agent SIGKILLed mid-create: a new agent on the same state gets the task when its lease expires and adopts the instances', async () => {
    const { id, taskId } = await startSlowDeploy('kill');
    const before = await instancesOf('hello-kill');

    // No graceful shutdown: the whole group (supervisor + agent) at once. Instances run in groups of their own.
    const pgid = agent!.pid!;
    process.kill(-pgid, 'SIGKILL');
    await until('the agent process group to be gone', async () => !groupAlive(pgid), 5_000);
    expect((await instancesOf('hello-kill')).sort()).toEqual(before.sort());
    expect((await stageTasks(id)).tasks[0]).toMatchObject({ id: taskId, status: 'LEASED', attempt: 1 });

    await startLocalAgent();
    // The edge hands the task out again only once the dead agent's 30 s lease runs out.
    const done = await finished(id, 60_000);
    await expectOneServerGroup('kill', done);
    expect((await instancesOf('hello-kill')).sort()).toEqual(before.sort());
    const { tasks } = await stageTasks(id);
    expect(tasks.map((t: any) => [t.id, t.status, t.attempt])).toEqual([[taskId, 'SUCCEEDED', 2]]);
    expect(tasks[0].logs.join('\n')).toContain('already exists');
  }, 100_000);

  it('edge stopped mid-create and started again: the agent reports once it is back, one server group', async () => {
    const { id, taskId } = await startSlowDeploy('edge');
    const before = await instancesOf('hello-edge');

    await stack!.stop();
    stack = undefined;
    // The instances turn healthy and the agent finishes the create while the edge is down.
    await sleep(6_000);
    stack = await startEdge();

    const done = await finished(id, 60_000);
    await expectOneServerGroup('edge', done);
    expect((await instancesOf('hello-edge')).sort()).toEqual(before.sort());
    const { tasks } = await stageTasks(id);
    expect(tasks.map((t: any) => [t.id, t.status])).toEqual([[taskId, 'SUCCEEDED']]);
  }, 100_000);

  it('a completion sent again for a finished task is refused with 409 and changes nothing', async () => {
    const pipeline = await deployPipeline('dup', 0);
    const run = await call('POST', `/pipelines/${pipeline}/executions`, {});
    const done = await finished(run.json.id, 60_000);
    await expectOneServerGroup('dup', done);
    const { stageId, tasks } = await stageTasks(run.json.id);
    expect(tasks).toHaveLength(1);
    const task = tasks[0];
    expect(task.status).toBe('SUCCEEDED');

    const { credential } = JSON.parse(await readFile(path.join(stateDir, 'agent.json'), 'utf8')) as { credential: string };
    // The plan's key for its first step (edge/engine/stages/agent-plan.ts: stage, run, step); a wrong key would be refused for that instead.
    const idempotencyKey = `${stageId}:0:0`;
    const again = await fetch(`${api().url}/api/agent/v1/tasks/${task.id}/complete`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${credential}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ idempotencyKey, ok: false, error: 'a late duplicate that must not count', logs: ['duplicate'] }),
    });
    const body = (await again.json()) as any;
    expect(again.status).toBe(409);
    expect(body.error.message).toMatch(/already complete \(SUCCEEDED\)/);

    await sleep(1_000);
    const after = (await call('GET', `/executions/${run.json.id}`)).json;
    expect(after).toEqual(done);
    expect((await stageTasks(run.json.id)).tasks).toEqual(tasks);
  }, 90_000);
});
