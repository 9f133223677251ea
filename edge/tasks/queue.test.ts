import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createPayload, pollNow, queueTask, registeredAgent, runningStage } from '../agent-api/test-agents.ts';
import { UserError } from '../engine/types.ts';
import { agentApi, rowCount, uniq } from '../test/client.ts';
import { cancelTasksOf, enqueueTask, TaskRefused, taskStatus } from './queue.ts';

async function refusal(promise: Promise<unknown>): Promise<TaskRefused> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TaskRefused);
  expect(err).toBeInstanceOf(UserError);
  return err as TaskRefused;
}

describe('enqueueTask', () => {
  it('queues a task once per idempotency key, keeping the first payload', async () => {
    const agent = await registeredAgent();
    const key = uniq('key');
    const { executionId, stageId } = await runningStage();
    const first = await queueTask(agent.account, { idempotencyKey: key, executionId, stageId });
    expect(first).toMatchObject({ created: true, agentId: agent.agentId, payload: { ...createPayload(agent.account), enabled: true } });
    const row = await env.DB.prepare('SELECT status, attempt, execution_id, stage_id, account, operation FROM tasks WHERE id = ?').bind(first.taskId).first();
    expect(row).toEqual({ status: 'QUEUED', attempt: 0, execution_id: executionId, stage_id: stageId, account: agent.account, operation: 'createServerGroup' });

    const count = await rowCount('tasks');
    const again = await queueTask(agent.account, { idempotencyKey: key, payload: createPayload(agent.account, 'other-v002') });
    expect(again).toEqual({ taskId: first.taskId, created: false, agentId: agent.agentId, payload: first.payload });
    expect(await rowCount('tasks')).toBe(count);
  });

  it('queues the same key once when called twice at once', async () => {
    const agent = await registeredAgent();
    const key = uniq('key');
    const results = await Promise.all([queueTask(agent.account, { idempotencyKey: key }), queueTask(agent.account, { idempotencyKey: key })]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[0]!.taskId).toBe(results[1]!.taskId);
  });

  type Payload = ReturnType<typeof createPayload>;
  it.each([
    ['a payload missing a field', (p: Payload) => ({ ...p, location: undefined }), {}, 'location', /^createServerGroup payload: location: required/],
    ['a bad nested field', (p: Payload) => ({ ...p, capacity: { min: 1, max: 1, desired: -1 } }), {}, 'capacity.desired', /^createServerGroup payload: capacity\.desired: /],
    ['an unknown operation', (p: Payload) => p, { operation: 'rebootServerGroup' }, 'operation', /^unknown operation "rebootServerGroup"; one of createServerGroup, /],
    ['a payload for another account', (p: Payload) => ({ ...p, account: 'elsewhere' }), {}, 'account', /^the payload names account "elsewhere", but the task is for account "/],
  ])('refuses %s, naming the field, and writes nothing', async (_, mutate, over, field, message) => {
    const agent = await registeredAgent();
    const count = await rowCount('tasks');
    const err = await refusal(queueTask(agent.account, { ...over, payload: mutate(createPayload(agent.account)) }));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(await rowCount('tasks')).toBe(count);
  });

  it('refuses an account no agent serves, or whose agent was revoked', async () => {
    const count = await rowCount('tasks');
    const nobody = uniq('acct');
    const err = await refusal(queueTask(nobody, { payload: createPayload(nobody) }));
    expect(err).toMatchObject({ field: 'account', message: `no agent serves account "${nobody}"; start one with \`gennaker-agent --account ${nobody}\`` });
    const agent = await registeredAgent();
    await env.DB.prepare('UPDATE agents SET revoked_at = ? WHERE id = ?').bind(Date.now(), agent.agentId).run();
    expect((await refusal(queueTask(agent.account))).field).toBe('account');
    expect(await rowCount('tasks')).toBe(count);
  });
});

describe('taskStatus', () => {
  it('reads a task as it goes: queued, leased, failed with the error and logs', async () => {
    const agent = await registeredAgent();
    const { taskId } = await queueTask(agent.account);
    expect(await taskStatus(env.DB, taskId)).toMatchObject({ status: 'QUEUED', attempt: 0, result: null, error: null, logs: [], leaseOwner: null });
    const polled = await pollNow(agent);
    const task = polled.json.tasks[0];
    expect(await taskStatus(env.DB, taskId)).toMatchObject({ status: 'LEASED', attempt: 1, leaseOwner: agent.agentId, leaseExpiresAt: task.leaseExpiresAt });
    await agentApi('POST', `/tasks/${taskId}/complete`, { token: agent.credential, body: { idempotencyKey: task.idempotencyKey, ok: false, error: 'no such command: node', logs: ['spawn failed'] } });
    expect(await taskStatus(env.DB, taskId)).toMatchObject({
      status: 'FAILED',
      result: { serverGroup: null, details: { error: 'no such command: node' } },
      error: 'no such command: node',
      logs: ['spawn failed'],
    });
  });

  it('is null for an unknown task', async () => {
    expect(await taskStatus(env.DB, 'nope')).toBeNull();
  });
});

describe('cancelTasksOf', () => {
  it("cancels the stage's queued tasks and those of a silent agent, leaving running and other stages' tasks", async () => {
    const agent = await registeredAgent();
    const stage = await runningStage();
    const otherStage = await runningStage();
    const running = await queueTask(agent.account, { ...stage, now: Date.now() - 3 });
    const silent = await queueTask(agent.account, { ...stage, now: Date.now() - 2 });
    expect((await pollNow(agent, { maxTasks: 2 })).json.tasks).toHaveLength(2);
    await env.DB.prepare('UPDATE tasks SET lease_expires_at = ? WHERE id = ?').bind(Date.now() - 1, silent.taskId).run();
    const queued = await queueTask(agent.account, stage);
    const other = await queueTask(agent.account, otherStage);
    expect(await cancelTasksOf(env.DB, stage.stageId)).toBe(2);
    const statuses = async () => Promise.all([running, silent, queued, other].map(async (t) => (await taskStatus(env.DB, t.taskId))!.status));
    expect(await statuses()).toEqual(['LEASED', 'CANCELED', 'CANCELED', 'QUEUED']);
    expect(await cancelTasksOf(env.DB, stage.stageId)).toBe(0);
    // A canceled task is never handed out again.
    expect((await pollNow(agent)).json.tasks.map((t: { id: string }) => t.id)).toEqual([other.taskId]);
  });
});

describe('enqueueTask with executions', () => {
  it('refuses a task for an execution that does not exist (foreign key)', async () => {
    const agent = await registeredAgent();
    await expect(enqueueTask(env.DB, { executionId: 'missing', stageId: 's', account: agent.account, operation: 'destroyServerGroup', payload: { account: agent.account, location: 'here', serverGroupName: 'x' }, idempotencyKey: uniq(), now: Date.now() })).rejects.toThrow(/FOREIGN KEY/);
  });
});
