/** Test helpers for the agent protocol: registered agents, queued tasks, an execution to notify. */
import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { adminToken, agentApi, api, uniq } from '../test/client.ts';
import { enqueueTask, type TaskRequest } from '../tasks/queue.ts';

export interface TestAgent {
  agentId: string;
  credential: string;
  account: string;
}

/** Registers an agent serving `accounts` (default: one new local account) through the protocol. */
export async function registeredAgent(accounts?: string[]): Promise<TestAgent> {
  const names = accounts ?? [uniq('acct')];
  const install = await api('POST', '/agents/install-tokens', { token: await adminToken(), body: { expiresInMinutes: 5 } });
  expect(install.status).toBe(201);
  const res = await agentApi('POST', '/register', {
    body: { installToken: install.json.token, name: uniq('agent'), version: '0.1.0', accounts: names.map((name) => ({ name, provider: 'local', locations: ['here'] })) },
  });
  expect(res.status).toBe(201);
  return { agentId: res.json.agentId, credential: res.json.credential, account: names[0]! };
}

/** A valid createServerGroup payload for `account`. */
export const createPayload = (account: string, serverGroupName = 'hello-v001') => ({
  account,
  location: 'here',
  serverGroupName,
  moniker: { app: 'hello', cluster: 'hello', sequence: 1 },
  capacity: { min: 1, max: 1, desired: 1 },
  artifact: { type: 'process', command: 'node', args: ['server.js'] },
});

/** Queues a createServerGroup task for `account` (no execution unless given). */
export async function queueTask(account: string, over: Partial<TaskRequest> = {}) {
  return enqueueTask(env.DB, {
    executionId: null,
    stageId: null,
    account,
    operation: 'createServerGroup',
    payload: createPayload(account),
    idempotencyKey: uniq('key'),
    now: Date.now(),
    ...over,
  });
}

/** An execution with one RUNNING stage, written straight to D1, for tasks that notify a runner. */
export async function runningStage(): Promise<{ executionId: string; stageId: string }> {
  const executionId = crypto.randomUUID();
  const stageId = crypto.randomUUID();
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO executions (id, application, name, status, config, trigger, created_at, started_at, updated_at)
       VALUES (?, 'hello', 'deploy', 'RUNNING', '{"stages":[]}', '{"type":"manual","user":"t","parameters":{}}', ?, ?, ?)`,
    ).bind(executionId, now, now, now),
    env.DB.prepare(
      `INSERT INTO stages (id, execution_id, ref_id, type, name, status, requisite_stage_ref_ids, context, started_at, updated_at)
       VALUES (?, ?, '1', 'wait', 'deploy', 'RUNNING', '[]', '{}', ?, ?)`,
    ).bind(stageId, executionId, now, now),
  ]);
  return { executionId, stageId };
}

/** A task row as D1 holds it, JSON columns parsed. */
export async function taskRow(id: string): Promise<Record<string, any> | null> {
  const row = await env.DB.prepare('SELECT * FROM tasks WHERE id = ?').bind(id).first<Record<string, any>>();
  if (!row) return null;
  return { ...row, payload: JSON.parse(row.payload), logs: JSON.parse(row.logs), result: row.result === null ? null : JSON.parse(row.result) };
}

/** Polls once without waiting. */
export const pollNow = (agent: TestAgent, body: Record<string, unknown> = {}) => agentApi('POST', '/tasks/poll', { token: agent.credential, body: { waitMs: 0, ...body } });
