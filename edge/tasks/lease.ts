/**
 * Leases: how an agent takes a task, keeps it, and finishes it. Every write is one compare-and-set
 * statement, so two agents (or a retried request) racing for the same task change it once; a
 * refused write changes nothing and is explained by {@link refusal}.
 */
import { MAX_TASK_LOG_LINES } from '../../contract/agent-protocol.ts';
import { TASK_LEASE_MS, type LeasedTask, type TaskResult } from '../../contract/operations.ts';
import type { TaskStatus } from '../../db/schema.ts';
import { ApiError, conflict, forbidden, notFound } from '../errors.ts';

/** `logs` with the JSON array bound at this point appended, keeping the last MAX_TASK_LOG_LINES. */
const appendLogs = `(SELECT json_group_array(value ORDER BY k) FROM (
  SELECT k, value FROM (SELECT key AS k, value FROM json_each(tasks.logs) UNION ALL SELECT 1000000 + key, value FROM json_each(?))
  ORDER BY k DESC LIMIT ${MAX_TASK_LOG_LINES}))`;

/** The accounts an agent serves, as a subquery with the agent id bound. */
const ownedAccounts = 'SELECT name FROM accounts WHERE agent_id = ?';

/**
 * Deliveries of one task before it is given up. A task whose completion is always refused (a
 * result too large to accept, an agent that crashes on it) would otherwise be handed out forever.
 */
export const MAX_TASK_ATTEMPTS = 5;

/** A task may be taken when queued, or when its holder let the lease run out and it has attempts left. */
const claimable = `(status = 'QUEUED' OR (status = 'LEASED' AND lease_expires_at < ? AND attempt < ${MAX_TASK_ATTEMPTS}))`;

/** Why an abandoned task failed, as its `result.details.error`. */
export const abandonedReason = (attempts: number) => `no agent completed it after ${attempts} attempts`;

interface ClaimedRow {
  id: string;
  operation: LeasedTask['operation'];
  account: string;
  payload: string;
  attempt: number;
  lease_expires_at: number;
  idempotency_key: string;
  created_at: number;
}

/**
 * Leases up to `max` tasks of the agent's accounts, oldest first: queued ones, and leased ones
 * whose lease expired (their agent went silent). Returns what this agent won.
 */
export async function claimTasks(d1: D1Database, agentId: string, max: number, now: number): Promise<LeasedTask[]> {
  const candidates = await d1
    .prepare(`SELECT id FROM tasks WHERE account IN (${ownedAccounts}) AND ${claimable} ORDER BY created_at LIMIT ?`)
    .bind(agentId, now, max)
    .all<{ id: string }>();
  if (candidates.results.length === 0) return [];
  const ids = candidates.results.map((r) => r.id);
  // The compare-and-set: a task another poll took meanwhile no longer matches and is skipped.
  const claimed = await d1
    .prepare(
      `UPDATE tasks SET status = 'LEASED', lease_owner = ?, lease_expires_at = ?, attempt = attempt + 1, updated_at = ?
       WHERE id IN (${ids.map(() => '?').join(', ')}) AND account IN (${ownedAccounts}) AND ${claimable}
       RETURNING id, operation, account, payload, attempt, lease_expires_at, idempotency_key, created_at`,
    )
    .bind(agentId, now + TASK_LEASE_MS, now, ...ids, agentId, now)
    .all<ClaimedRow>();
  return claimed.results
    .sort((a, b) => a.created_at - b.created_at)
    .map((r) => ({
      id: r.id,
      operation: r.operation,
      account: r.account,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      attempt: r.attempt,
      leaseExpiresAt: r.lease_expires_at,
      idempotencyKey: r.idempotency_key,
    }));
}

/** A task given up by {@link failAbandonedTasks}, to tell its stage as a completion would. */
export interface Abandoned extends Completed {
  taskId: string;
}

/**
 * Fails the agent's tasks whose last attempt's lease ran out: the reason goes in
 * `result.details.error` and the log, so the stage reads it as it reads an agent's failure.
 * One compare-and-set statement: a completion or a heartbeat that wins the race keeps the task.
 */
export async function failAbandonedTasks(d1: D1Database, agentId: string, now: number): Promise<Abandoned[]> {
  const reason = abandonedReason(MAX_TASK_ATTEMPTS);
  const result: TaskResult = { serverGroup: null, details: { error: reason } };
  const rows = await d1
    .prepare(
      `UPDATE tasks SET status = 'FAILED', result = ?, logs = ${appendLogs}, lease_expires_at = NULL, updated_at = ?
       WHERE account IN (${ownedAccounts}) AND status = 'LEASED' AND lease_expires_at < ? AND attempt >= ${MAX_TASK_ATTEMPTS}
       RETURNING id, execution_id, stage_id`,
    )
    .bind(JSON.stringify(result), JSON.stringify([`${reason}; failed by the edge`]), now, agentId, now)
    .all<{ id: string; execution_id: string | null; stage_id: string | null }>();
  return rows.results.map((r) => ({ taskId: r.id, status: 'FAILED', executionId: r.execution_id, stageId: r.stage_id, result }));
}

/**
 * Extends the agent's lease and appends log lines. The holder may extend a lease that ran out
 * as long as no other agent took the task: a slow link should not cost the work.
 */
export async function extendLease(d1: D1Database, taskId: string, agentId: string, logs: string[], now: number): Promise<number> {
  const row = await d1
    .prepare(
      `UPDATE tasks SET lease_expires_at = ?, logs = ${appendLogs}, updated_at = ?
       WHERE id = ? AND status = 'LEASED' AND lease_owner = ? AND account IN (${ownedAccounts}) RETURNING lease_expires_at`,
    )
    .bind(now + TASK_LEASE_MS, JSON.stringify(logs), now, taskId, agentId, agentId)
    .first<{ lease_expires_at: number }>();
  if (!row) throw await refusal(d1, taskId, agentId);
  return row.lease_expires_at;
}

export interface Completion {
  idempotencyKey: string;
  ok: boolean;
  result: TaskResult;
  error?: string | undefined;
  logs: string[];
}

export interface Completed {
  status: 'SUCCEEDED' | 'FAILED';
  executionId: string | null;
  stageId: string | null;
  /** As stored: on failure `details.error` carries the agent's message. */
  result: TaskResult;
}

/** Records the outcome once: only the lease holder, with the task's idempotency key, while leased. */
export async function completeTask(d1: D1Database, taskId: string, agentId: string, completion: Completion, now: number): Promise<Completed> {
  const status = completion.ok ? 'SUCCEEDED' : 'FAILED';
  const result: TaskResult = completion.ok
    ? completion.result
    : { ...completion.result, details: { ...completion.result.details, error: completion.error ?? 'the agent reported a failure without a message' } };
  const row = await d1
    .prepare(
      `UPDATE tasks SET status = ?, result = ?, logs = ${appendLogs}, lease_expires_at = NULL, updated_at = ?
       WHERE id = ? AND status = 'LEASED' AND lease_owner = ? AND idempotency_key = ? AND account IN (${ownedAccounts})
       RETURNING execution_id, stage_id`,
    )
    .bind(status, JSON.stringify(result), JSON.stringify(completion.logs), now, taskId, agentId, completion.idempotencyKey, agentId)
    .first<{ execution_id: string | null; stage_id: string | null }>();
  if (!row) throw await refusal(d1, taskId, agentId, completion.idempotencyKey);
  return { status, executionId: row.execution_id, stageId: row.stage_id, result };
}

/** Why a lease write matched nothing, as the error to answer with (404, 403 or 409). */
export async function refusal(d1: D1Database, taskId: string, agentId: string, idempotencyKey?: string): Promise<ApiError> {
  const row = await d1
    .prepare(
      `SELECT t.account, t.status, t.lease_owner, t.idempotency_key, t.attempt, a.agent_id AS account_agent
       FROM tasks t LEFT JOIN accounts a ON a.name = t.account WHERE t.id = ?`,
    )
    .bind(taskId)
    .first<{ account: string; status: TaskStatus; lease_owner: string | null; idempotency_key: string; attempt: number; account_agent: string | null }>();
  if (!row) return notFound(`task "${taskId}"`);
  if (row.account_agent !== agentId) return forbidden(`task ${taskId} is for account "${row.account}", which this agent does not serve`);
  if (idempotencyKey !== undefined && idempotencyKey !== row.idempotency_key) {
    return conflict(`idempotency key does not match task ${taskId}; nothing was recorded`, 'idempotencyKey');
  }
  switch (row.status) {
    case 'SUCCEEDED':
    case 'FAILED':
      return conflict(`task ${taskId} is already complete (${row.status}); nothing was recorded`);
    case 'CANCELED':
      return conflict(`task ${taskId} was canceled; nothing was recorded`);
    case 'QUEUED':
      return conflict(`task ${taskId} is not leased to this agent (it is queued); nothing was recorded`);
    case 'LEASED':
      return row.lease_owner === agentId
        ? conflict(`task ${taskId} changed while this request ran; nothing was recorded`)
        : conflict(`task ${taskId} is leased to another agent (attempt ${row.attempt}): this agent's lease expired; nothing was recorded`);
    default: {
      const never: never = row.status;
      return conflict(`task ${taskId} is ${String(never)}`);
    }
  }
}
