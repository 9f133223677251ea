import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TASK_LOG_LINES } from '../../contract/agent-protocol.ts';
import { AGENT_OFFLINE_AFTER_MS } from '../../contract/agents.ts';
import { TASK_LEASE_MS } from '../../contract/operations.ts';
import { MAX_COMPLETION_BYTES } from '../app.ts';
import { ExecutionRunner } from '../engine/execution-runner.ts';
import { TASK_RECHECK_MS } from '../tasks/doorbell.ts';
import { MAX_TASK_ATTEMPTS } from '../tasks/lease.ts';
import { enqueueTaskAndWake, taskStatus } from '../tasks/queue.ts';
import { agentApi, uniq } from '../test/client.ts';
import { createPayload, pollNow, queueTask, registeredAgent, runningStage, taskRow, type TestAgent } from './test-agents.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

const heartbeat = (agent: TestAgent, id: string, logs: string[] = []) => agentApi('POST', `/tasks/${id}/heartbeat`, { token: agent.credential, body: { logs } });
const complete = (agent: TestAgent, id: string, body: Record<string, unknown>) => agentApi('POST', `/tasks/${id}/complete`, { token: agent.credential, body });
const expireLease = (id: string) => env.DB.prepare('UPDATE tasks SET lease_expires_at = ? WHERE id = ?').bind(Date.now() - 1, id).run();

/** A task queued for the agent's account and leased to it by a poll. */
async function leased(agent: TestAgent, over: Parameters<typeof queueTask>[1] = {}) {
  const queued = await queueTask(agent.account, over);
  const res = await pollNow(agent);
  expect(res.status).toBe(200);
  const task = res.json.tasks.find((t: { id: string }) => t.id === queued.taskId);
  expect(task).toBeDefined();
  return task as { id: string; idempotencyKey: string; attempt: number; leaseExpiresAt: number };
}

describe('POST /tasks/poll', () => {
  it('leases a queued task of its account to the agent, with the payload as queued', async () => {
    const agent = await registeredAgent();
    await env.DB.prepare('UPDATE agents SET last_seen_at = 0 WHERE id = ?').bind(agent.agentId).run();
    const queued = await queueTask(agent.account, { idempotencyKey: 'poll-key-1' + uniq() });
    const before = Date.now();
    const res = await pollNow(agent);
    expect(res.status).toBe(200);
    expect(res.json.tasks).toEqual([
      {
        id: queued.taskId,
        operation: 'createServerGroup',
        account: agent.account,
        payload: queued.payload,
        attempt: 1,
        leaseExpiresAt: expect.any(Number),
        idempotencyKey: expect.stringMatching(/^poll-key-1/),
      },
    ]);
    // Defaults were filled in when it was queued.
    expect(res.json.tasks[0].payload).toMatchObject({ enabled: true, loadBalancers: [], healthCheck: { path: '/health', timeoutSec: 120 } });
    expect(res.json.tasks[0].leaseExpiresAt).toBeGreaterThanOrEqual(before + TASK_LEASE_MS);
    expect(await taskRow(queued.taskId)).toMatchObject({ status: 'LEASED', lease_owner: agent.agentId, attempt: 1 });
    const seen = await env.DB.prepare('SELECT last_seen_at FROM agents WHERE id = ?').bind(agent.agentId).first<number>('last_seen_at');
    expect(seen).toBeGreaterThanOrEqual(before);
  });

  it('answers {tasks: []} after waitMs when nothing comes', async () => {
    const agent = await registeredAgent();
    const started = Date.now();
    const res = await agentApi('POST', '/tasks/poll', { token: agent.credential, body: { waitMs: 300 } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ tasks: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('hands out at most maxTasks, oldest first, and never tasks of other accounts', async () => {
    const agent = await registeredAgent();
    const other = await registeredAgent();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await queueTask(agent.account, { now: Date.now() + i })).taskId);
    const foreign = await queueTask(other.account);
    const first = await pollNow(agent, { maxTasks: 2 });
    expect(first.json.tasks.map((t: { id: string }) => t.id)).toEqual(ids.slice(0, 2));
    const second = await pollNow(agent);
    expect(second.json.tasks.map((t: { id: string }) => t.id)).toEqual([ids[2]]);
    expect((await taskRow(foreign.taskId))!.status).toBe('QUEUED');
  });

  it('gives a task to one poll only when two race for it (compare-and-set)', async () => {
    const agent = await registeredAgent();
    const queued = await queueTask(agent.account);
    const results = await Promise.all([pollNow(agent), pollNow(agent), pollNow(agent)]);
    const winners = results.filter((r) => r.json.tasks.some((t: { id: string }) => t.id === queued.taskId));
    expect(winners).toHaveLength(1);
    expect((await taskRow(queued.taskId))!.attempt).toBe(1);
  });

  it('returns a task whose lease expired (its agent went silent) to the queue: the next poll takes it', async () => {
    const first = await registeredAgent();
    const task = await leased(first);
    expect((await pollNow(first)).json.tasks).toEqual([]);
    // The first goes silent (offline), and its account moves to a second agent (re-registration) while it holds the lease.
    await env.DB.prepare('UPDATE agents SET last_seen_at = ? WHERE id = ?').bind(Date.now() - AGENT_OFFLINE_AFTER_MS - 1000, first.agentId).run();
    const second = await registeredAgent([first.account]);
    expect((await pollNow(second)).json.tasks).toEqual([]);
    await expireLease(task.id);
    const res = await pollNow(second);
    expect(res.json.tasks).toEqual([expect.objectContaining({ id: task.id, attempt: 2, idempotencyKey: task.idempotencyKey })]);
    expect(await taskRow(task.id)).toMatchObject({ status: 'LEASED', lease_owner: second.agentId, attempt: 2 });
    // The first agent's late completion is refused and changes nothing.
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const late = await complete(first, task.id, { idempotencyKey: task.idempotencyKey, ok: true });
    expect(late.status).toBe(403);
    expect(await taskRow(task.id)).toMatchObject({ status: 'LEASED', lease_owner: second.agentId });
  });

  it(`gives a task up after ${MAX_TASK_ATTEMPTS} deliveries whose leases ran out: FAILED with the reason, and its stage is told`, async () => {
    const agent = await registeredAgent();
    const { executionId, stageId } = await runningStage();
    const task = await leased(agent, { executionId, stageId });
    for (let attempt = 2; attempt <= MAX_TASK_ATTEMPTS; attempt++) {
      await expireLease(task.id);
      expect((await pollNow(agent)).json.tasks).toEqual([expect.objectContaining({ id: task.id, attempt })]);
    }
    await expireLease(task.id);
    const enqueue = vi.spyOn(ExecutionRunner.prototype, 'enqueue');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect((await pollNow(agent)).json.tasks).toEqual([]);
    const reason = `no agent completed it after ${MAX_TASK_ATTEMPTS} attempts`;
    const result = { serverGroup: null, details: { error: reason } };
    expect(await taskRow(task.id)).toMatchObject({ status: 'FAILED', attempt: MAX_TASK_ATTEMPTS, lease_expires_at: null, result, logs: [`${reason}; failed by the edge`] });
    expect(await taskStatus(env.DB, task.id)).toMatchObject({ status: 'FAILED', error: reason });
    expect(enqueue.mock.calls.map((c) => c[0])).toEqual([[{ type: 'stageInput', executionId, stageId, input: { kind: 'taskCompleted', taskId: task.id, ok: false, result } }]]);
    expect(log.mock.calls.map((c) => JSON.parse(String(c[0])))).toContainEqual(expect.objectContaining({ event: 'task.abandoned', taskId: task.id, reason }));
    // The last holder's late completion is refused: the task is over.
    const late = await complete(agent, task.id, { idempotencyKey: task.idempotencyKey, ok: true });
    expect(late.status).toBe(409);
    expect((await pollNow(agent)).json.tasks).toEqual([]);
  });

  it('leaves a last attempt whose lease is still running alone', async () => {
    const agent = await registeredAgent();
    const task = await leased(agent);
    await env.DB.prepare('UPDATE tasks SET attempt = ? WHERE id = ?').bind(MAX_TASK_ATTEMPTS, task.id).run();
    expect((await pollNow(agent)).json.tasks).toEqual([]);
    expect(await taskRow(task.id)).toMatchObject({ status: 'LEASED', attempt: MAX_TASK_ATTEMPTS });
    expect((await heartbeat(agent, task.id)).status).toBe(200);
  });

  it('picks up a task queued while the poll waits within ~200 ms (the doorbell)', async () => {
    const agent = await registeredAgent();
    const polling = agentApi('POST', '/tasks/poll', { token: agent.credential, body: { waitMs: 10_000 } }).then((r) => ({ r, at: Date.now() }));
    await new Promise((r) => setTimeout(r, 150));
    const queuedAt = Date.now();
    const queued = await enqueueTaskAndWake(env, { executionId: null, stageId: null, account: agent.account, operation: 'createServerGroup', payload: createPayload(agent.account), idempotencyKey: uniq('key'), now: queuedAt });
    const { r, at } = await polling;
    expect(r.json.tasks.map((t: { id: string }) => t.id)).toEqual([queued.taskId]);
    expect(at - queuedAt).toBeLessThan(200);
  });

  it('finds a task queued without a ring at its next re-check', async () => {
    const agent = await registeredAgent();
    const polling = agentApi('POST', '/tasks/poll', { token: agent.credential, body: { waitMs: 10_000 } }).then((r) => ({ r, at: Date.now() }));
    await new Promise((r) => setTimeout(r, 100));
    const queuedAt = Date.now();
    const queued = await queueTask(agent.account);
    const { r, at } = await polling;
    expect(r.json.tasks.map((t: { id: string }) => t.id)).toEqual([queued.taskId]);
    expect(at - queuedAt).toBeLessThan(TASK_RECHECK_MS + 500);
  });

  it.each([
    [{ waitMs: 30_001 }, 'waitMs'],
    [{ maxTasks: 0 }, 'maxTasks'],
    [{ waitMs: 0, extra: 1 }, 'extra'],
  ])('refuses a malformed poll %j naming the field', async (body, field) => {
    const agent = await registeredAgent();
    const res = await agentApi('POST', '/tasks/poll', { token: agent.credential, body });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'validation_failed', field, requestId: expect.any(String) });
  });

  it('refuses a poll without an agent credential', async () => {
    const res = await agentApi('POST', '/tasks/poll', { body: { waitMs: 0 } });
    expect(res.status).toBe(401);
  });
});

describe('POST /tasks/{id}/heartbeat', () => {
  it('extends the lease and keeps the log lines', async () => {
    const agent = await registeredAgent();
    const task = await leased(agent);
    await env.DB.prepare('UPDATE tasks SET lease_expires_at = ? WHERE id = ?').bind(Date.now() + 1000, task.id).run();
    const before = Date.now();
    const res = await heartbeat(agent, task.id, ['starting 1 instance', 'instance 0 Up']);
    expect(res.status).toBe(200);
    expect(res.json.leaseExpiresAt).toBeGreaterThanOrEqual(before + TASK_LEASE_MS);
    const row = await taskRow(task.id);
    expect(row).toMatchObject({ lease_expires_at: res.json.leaseExpiresAt, logs: ['starting 1 instance', 'instance 0 Up'] });
  });

  it(`keeps the last ${MAX_TASK_LOG_LINES} lines`, async () => {
    const agent = await registeredAgent();
    const task = await leased(agent);
    for (let batch = 0; batch < 3; batch++) {
      const lines = Array.from({ length: 200 }, (_, i) => `line ${batch * 200 + i}`);
      expect((await heartbeat(agent, task.id, lines)).status).toBe(200);
    }
    const { logs } = (await taskRow(task.id))!;
    expect(logs).toHaveLength(MAX_TASK_LOG_LINES);
    expect(logs[0]).toBe('line 100');
    expect(logs.at(-1)).toBe('line 599');
  });

  it('lets the holder extend a lease that ran out while no other agent took the task', async () => {
    const agent = await registeredAgent();
    const task = await leased(agent);
    await expireLease(task.id);
    expect((await heartbeat(agent, task.id)).status).toBe(200);
    expect((await taskRow(task.id))!.lease_expires_at).toBeGreaterThan(Date.now());
  });

  it('refuses with 409 once the lease is another agent’s, or the task is finished or canceled, recording nothing', async () => {
    const agent = await registeredAgent();
    const other = await registeredAgent();
    const moved = await leased(agent);
    await env.DB.prepare('UPDATE tasks SET lease_owner = ? WHERE id = ?').bind(other.agentId, moved.id).run();
    const done = await leased(agent);
    expect((await complete(agent, done.id, { idempotencyKey: done.idempotencyKey, ok: true })).status).toBe(200);
    const canceled = await leased(agent);
    await env.DB.prepare(`UPDATE tasks SET status = 'CANCELED' WHERE id = ?`).bind(canceled.id).run();
    for (const [id, message] of [
      [moved.id, /is leased to another agent \(attempt 1\): this agent's lease expired/],
      [done.id, /is already complete \(SUCCEEDED\)/],
      [canceled.id, /was canceled/],
    ] as const) {
      const before = await taskRow(id);
      const res = await heartbeat(agent, id, ['late line']);
      expect(res.status).toBe(409);
      expect(res.json.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(message), requestId: expect.any(String) });
      expect(await taskRow(id)).toEqual(before);
    }
  });

  it('answers 404 for an unknown task and 403 for a task of an account the agent does not serve', async () => {
    const agent = await registeredAgent();
    const other = await registeredAgent();
    const theirs = await leased(other);
    expect((await heartbeat(agent, 'no-such-task')).status).toBe(404);
    const res = await heartbeat(agent, theirs.id, ['x']);
    expect(res.status).toBe(403);
    expect(res.json.error.message).toBe(`task ${theirs.id} is for account "${other.account}", which this agent does not serve`);
    expect((await taskRow(theirs.id))!.logs).toEqual([]);
  });
});

describe('POST /tasks/{id}/complete', () => {
  const snapshot = {
    name: 'hello-v001',
    location: 'here',
    moniker: { app: 'hello', cluster: 'hello', sequence: 1 },
    disabled: false,
    capacity: { min: 1, max: 1, desired: 1 },
    createdAt: 1_700_000_000_000,
    instances: [{ id: 'i-1', name: 'hello-v001-0', health: 'Up' }],
  };

  it('records success and tells the execution runner with a taskCompleted input', async () => {
    const agent = await registeredAgent();
    const { executionId, stageId } = await runningStage();
    const task = await leased(agent, { executionId, stageId });
    const enqueue = vi.spyOn(ExecutionRunner.prototype, 'enqueue');
    const res = await complete(agent, task.id, { idempotencyKey: task.idempotencyKey, ok: true, result: { serverGroup: snapshot, details: { note: 'fast' } }, logs: ['done'] });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'SUCCEEDED' });
    const row = await taskRow(task.id);
    expect(row).toMatchObject({ status: 'SUCCEEDED', logs: ['done'], lease_expires_at: null });
    expect(row!.result.serverGroup).toMatchObject({ name: 'hello-v001', instances: [{ id: 'i-1', health: 'Up', address: null }] });
    expect(enqueue).toHaveBeenCalledTimes(1);
    expect(enqueue.mock.calls[0]![0]).toEqual([
      { type: 'stageInput', executionId, stageId, input: { kind: 'taskCompleted', taskId: task.id, ok: true, result: row!.result } },
    ]);
  });

  it("records failure with the agent's error in result.details.error, and passes it on", async () => {
    const agent = await registeredAgent();
    const { executionId, stageId } = await runningStage();
    const task = await leased(agent, { executionId, stageId });
    const enqueue = vi.spyOn(ExecutionRunner.prototype, 'enqueue');
    const res = await complete(agent, task.id, { idempotencyKey: task.idempotencyKey, ok: false, error: 'port 9000 is in use', logs: ['boom'] });
    expect(res.json).toEqual({ status: 'FAILED' });
    const result = { serverGroup: null, details: { error: 'port 9000 is in use' } };
    expect(await taskRow(task.id)).toMatchObject({ status: 'FAILED', result, logs: ['boom'] });
    expect(enqueue.mock.calls[0]![0]).toEqual([{ type: 'stageInput', executionId, stageId, input: { kind: 'taskCompleted', taskId: task.id, ok: false, result } }]);
  });

  it('refuses a duplicate, a wrong key, a lease lost to another agent, and an unleased task with 409; nothing changes, and it is logged', async () => {
    const agent = await registeredAgent();
    const other = await registeredAgent();
    const done = await leased(agent);
    expect((await complete(agent, done.id, { idempotencyKey: done.idempotencyKey, ok: true, logs: ['first'] })).status).toBe(200);
    const open = await leased(agent);
    const lost = await leased(agent);
    await env.DB.prepare('UPDATE tasks SET lease_owner = ?, attempt = 2 WHERE id = ?').bind(other.agentId, lost.id).run();
    const queued = await queueTask(agent.account);
    const queuedRow = await taskRow(queued.taskId);
    const cases = [
      [done.id, done.idempotencyKey, 'conflict', undefined, `task ${done.id} is already complete (SUCCEEDED); nothing was recorded`],
      [open.id, 'not-the-key', 'conflict', 'idempotencyKey', `idempotency key does not match task ${open.id}; nothing was recorded`],
      [lost.id, lost.idempotencyKey, 'conflict', undefined, `task ${lost.id} is leased to another agent (attempt 2): this agent's lease expired; nothing was recorded`],
      [queued.taskId, queuedRow!.idempotency_key, 'conflict', undefined, `task ${queued.taskId} is not leased to this agent (it is queued); nothing was recorded`],
    ] as const;
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const enqueue = vi.spyOn(ExecutionRunner.prototype, 'enqueue');
    for (const [id, key, code, field, message] of cases) {
      const before = await taskRow(id);
      const res = await complete(agent, id, { idempotencyKey: key, ok: false, error: 'late', logs: ['late line'] });
      expect(res.status).toBe(409);
      expect(res.json.error).toEqual({ code, message, ...(field ? { field } : {}), requestId: expect.any(String) });
      expect(await taskRow(id)).toEqual(before);
      const events = log.mock.calls.map((c) => JSON.parse(String(c[0]))).filter((e) => e.event === 'task.completion.ignored' && e.taskId === id);
      expect(events).toEqual([expect.objectContaining({ agentId: agent.agentId, code: 'conflict', reason: message })]);
    }
    expect(enqueue).not.toHaveBeenCalled();
  });

  it('refuses with 403 a completion for a task of an account the agent does not serve', async () => {
    const agent = await registeredAgent();
    const other = await registeredAgent();
    const theirs = await leased(other);
    const before = await taskRow(theirs.id);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const res = await complete(agent, theirs.id, { idempotencyKey: theirs.idempotencyKey, ok: true });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('forbidden');
    expect(await taskRow(theirs.id)).toEqual(before);
  });

  it('accepts a completion over 1 MiB (a large collectMetrics result) up to what a D1 row holds; 3 MB gets 413 and records nothing', async () => {
    const agent = await registeredAgent();
    const big = await leased(agent);
    const values = Array.from({ length: 200_000 }, (_, i) => 1_000_000 + i);
    const body = { idempotencyKey: big.idempotencyKey, ok: true, result: { serverGroup: null, details: { metrics: { errors: { control: { startMs: 0, stepSec: 1, values } } } } } };
    expect(JSON.stringify(body).length).toBeGreaterThan(1.5 * 1024 * 1024);
    expect(JSON.stringify(body).length).toBeLessThan(MAX_COMPLETION_BYTES);
    const res = await complete(agent, big.id, body);
    expect(res.status).toBe(200);
    expect((await taskRow(big.id))!.result.details.metrics.errors.control.values).toHaveLength(values.length);

    const huge = await leased(agent);
    const refused = await agentApi('POST', `/tasks/${huge.id}/complete`, {
      token: agent.credential,
      raw: JSON.stringify({ idempotencyKey: huge.idempotencyKey, ok: true, result: { serverGroup: null, details: { blob: 'x'.repeat(3_000_000) } } }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(refused.status).toBe(413);
    expect(refused.json.error).toMatchObject({ code: 'payload_too_large', message: `request body is larger than ${MAX_COMPLETION_BYTES} bytes` });
    expect(await taskRow(huge.id)).toMatchObject({ status: 'LEASED', result: null });
  });

  it('keeps 1 MiB for the other agent calls (a 2 MiB heartbeat gets 413)', async () => {
    const agent = await registeredAgent();
    const task = await leased(agent);
    const res = await heartbeat(agent, task.id, ['x'.repeat(2 * 1024 * 1024)]);
    expect(res.status).toBe(413);
    expect(res.json.error.message).toBe(`request body is larger than ${1024 * 1024} bytes`);
  });

  it('names the bad field of a malformed completion', async () => {
    const agent = await registeredAgent();
    const task = await leased(agent);
    const res = await complete(agent, task.id, { idempotencyKey: task.idempotencyKey, ok: true, result: { serverGroup: { ...snapshot, capacity: { min: 1, max: 1, desired: -1 } } } });
    expect(res.status).toBe(400);
    expect(res.json.error.field).toBe('result.serverGroup.capacity.desired');
    expect((await taskRow(task.id))!.status).toBe('LEASED');
  });
});

describe('a completed task updates the inventory at once', () => {
  const snapshot = (account: string) => ({
    name: 'hello-v001',
    location: 'here',
    moniker: { app: 'hello', stack: '', detail: '', cluster: 'hello', sequence: 1 },
    disabled: false,
    capacity: { min: 1, max: 1, desired: 1 },
    artifact: null,
    loadBalancers: ['hello'],
    createdAt: Date.now(),
    instances: [{ id: `${account}-i1`, name: 'hello-v001-0', health: 'Up', address: 'http://127.0.0.1:9', launchedAt: Date.now() }],
  });
  const groupRow = (account: string) => env.DB.prepare('SELECT name, disabled FROM server_groups WHERE account = ? AND name = ?').bind(account, 'hello-v001').first();

  it('writes the group a create reports, so the next plan sees it without waiting for an inventory report', async () => {
    const agent = await registeredAgent();
    const task = await leased(agent);
    expect(await groupRow(agent.account)).toBeNull();
    const res = await complete(agent, task.id, { idempotencyKey: task.idempotencyKey, ok: true, result: { serverGroup: snapshot(agent.account), details: {} } });
    expect(res.status).toBe(200);
    expect(await groupRow(agent.account)).toEqual({ name: 'hello-v001', disabled: 0 });
    const health = await env.DB.prepare('SELECT i.health FROM instances i JOIN server_groups g ON g.id = i.server_group_id WHERE g.account = ?').bind(agent.account).all();
    expect(health.results).toEqual([{ health: 'Up' }]);

    const destroy = await leased(agent, { operation: 'destroyServerGroup', payload: { account: agent.account, location: 'here', serverGroupName: 'hello-v001' } });
    expect((await complete(agent, destroy.id, { idempotencyKey: destroy.idempotencyKey, ok: true })).status).toBe(200);
    expect(await groupRow(agent.account)).toBeNull();
  });

  it('writes nothing for a failed task', async () => {
    const agent = await registeredAgent();
    const task = await leased(agent);
    await complete(agent, task.id, { idempotencyKey: task.idempotencyKey, ok: false, error: 'never healthy', result: { serverGroup: snapshot(agent.account), details: {} } });
    expect(await groupRow(agent.account)).toBeNull();
  });
});
