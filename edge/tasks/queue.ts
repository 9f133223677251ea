/**
 * The task queue as the engine sees it: put work for an account's agent in D1, read how it went,
 * cancel what a stage no longer needs. Agents take and finish tasks through `lease.ts`.
 */
import { firstIssue } from '../../contract/errors.ts';
import { operations, taskResult, type OperationName, type TaskResult } from '../../contract/operations.ts';
import type { TaskStatus } from '../../db/schema.ts';
import { UserError } from '../engine/types.ts';
import type { Env } from '../env.ts';
import { wakeAgent } from './doorbell.ts';

/** Why a task was refused before it was queued; a UserError, so a stage fails naming the field. */
export class TaskRefused extends UserError {
  constructor(message: string, field: string) {
    super(message, field);
    this.name = 'TaskRefused';
  }
}

export interface TaskRequest {
  executionId: string | null;
  stageId: string | null;
  account: string;
  operation: string;
  /** Validated with `operations[operation]`; stored with its defaults filled in. */
  payload: unknown;
  /** Stable per unit of work: queuing the same key again returns the task already queued. */
  idempotencyKey: string;
  now: number;
}

export interface Queued {
  taskId: string;
  /** False when a task with this idempotency key already existed (nothing was written). */
  created: boolean;
  /** The payload the task holds: the first one queued under this key, defaults filled in. */
  payload: Record<string, unknown>;
  /** The agent serving the account, to wake its pollers (null only for a task queued before, whose account lost its agent). */
  agentId: string | null;
}

const isOperation = (name: string): name is OperationName => Object.hasOwn(operations, name);

/** Queues a task for the agent serving `account`; safe to call twice with the same idempotency key. */
export async function enqueueTask(d1: D1Database, req: TaskRequest): Promise<Queued> {
  if (!isOperation(req.operation)) {
    throw new TaskRefused(`unknown operation "${req.operation}"; one of ${Object.keys(operations).join(', ')}`, 'operation');
  }
  const parsed = operations[req.operation].safeParse(req.payload);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new TaskRefused(`${req.operation} payload: ${issue.message}`, issue.field);
  }
  if (parsed.data.account !== req.account) {
    throw new TaskRefused(`the payload names account "${parsed.data.account}", but the task is for account "${req.account}"`, 'account');
  }
  // One read: a task already queued under the key is returned as it is (a repeated start after a
  // crash must find it even if the account lost its agent since); otherwise an agent must serve the account.
  const found = await d1
    .prepare(
      `SELECT (SELECT a.agent_id FROM accounts a JOIN agents g ON g.id = a.agent_id WHERE a.name = ? AND g.revoked_at IS NULL) AS agentId,
              (SELECT id FROM tasks WHERE idempotency_key = ?) AS existingId,
              (SELECT payload FROM tasks WHERE idempotency_key = ?) AS existingPayload`,
    )
    .bind(req.account, req.idempotencyKey, req.idempotencyKey)
    .first<{ agentId: string | null; existingId: string | null; existingPayload: string | null }>();
  if (found?.existingId) {
    return { taskId: found.existingId, created: false, payload: JSON.parse(found.existingPayload!) as Record<string, unknown>, agentId: found.agentId };
  }
  if (!found?.agentId) {
    throw new TaskRefused(`no agent serves account "${req.account}"; start one with \`gennaker-agent --account ${req.account}\``, 'account');
  }
  const agentId = found.agentId;
  const payload = parsed.data as Record<string, unknown>;
  const inserted = await d1
    .prepare(
      `INSERT INTO tasks (id, execution_id, stage_id, account, operation, payload, status, attempt, idempotency_key, logs, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'QUEUED', 0, ?, '[]', ?, ?)
       ON CONFLICT(idempotency_key) DO NOTHING RETURNING id`,
    )
    .bind(crypto.randomUUID(), req.executionId, req.stageId, req.account, req.operation, JSON.stringify(payload), req.idempotencyKey, req.now, req.now)
    .first<{ id: string }>();
  if (inserted) return { taskId: inserted.id, created: true, payload, agentId };
  // Queued by a concurrent call with the same key between the read and the insert.
  const existing = await d1.prepare('SELECT id, payload FROM tasks WHERE idempotency_key = ?').bind(req.idempotencyKey).first<{ id: string; payload: string }>();
  if (!existing) throw new Error(`task with idempotency key ${req.idempotencyKey} neither inserted nor found`);
  return { taskId: existing.id, created: false, payload: JSON.parse(existing.payload) as Record<string, unknown>, agentId };
}

/** {@link enqueueTask}, then wakes the agent's waiting polls so it picks the task up at once. */
export async function enqueueTaskAndWake(env: Pick<Env, 'DB' | 'TASK_DOORBELLS'>, req: TaskRequest): Promise<Queued> {
  const queued = await enqueueTask(env.DB, req);
  // The task is in D1 either way; a failed wake only delays pickup to the pollers' next re-check.
  if (queued.created && queued.agentId) await wakeAgent(env, queued.agentId).catch(() => undefined);
  return queued;
}

export interface TaskView {
  status: TaskStatus;
  /** Deliveries so far (0 while never leased). */
  attempt: number;
  /** Set once SUCCEEDED or FAILED; on failure `result.details.error` holds the agent's message. */
  result: TaskResult | null;
  /** The agent's error message when FAILED. */
  error: string | null;
  logs: string[];
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  updatedAt: number;
}

/** How a task stands, for the engine's poll fallback; null when there is no such task. */
export async function taskStatus(d1: D1Database, taskId: string): Promise<TaskView | null> {
  const row = await d1
    .prepare('SELECT status, attempt, result, logs, lease_owner, lease_expires_at, updated_at FROM tasks WHERE id = ?')
    .bind(taskId)
    .first<{ status: TaskStatus; attempt: number; result: string | null; logs: string; lease_owner: string | null; lease_expires_at: number | null; updated_at: number }>();
  if (!row) return null;
  const result = row.result === null ? null : taskResult.parse(JSON.parse(row.result));
  const error = row.status === 'FAILED' && typeof result?.details.error === 'string' ? result.details.error : null;
  return {
    status: row.status,
    attempt: row.attempt,
    result,
    error,
    logs: JSON.parse(row.logs) as string[],
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Cancels the stage's tasks no agent is working on: queued ones, and leased ones whose agent went
 * silent (a poll would hand those out again). Returns how many. A task an agent is running is
 * left to finish, since the agent cannot undo half an operation; its outcome is recorded as what
 * happened, and the runner ignores it for a stage that is no longer running.
 */
export async function cancelTasksOf(d1: D1Database, stageId: string, now = Date.now()): Promise<number> {
  const res = await d1
    .prepare(
      `UPDATE tasks SET status = 'CANCELED', lease_expires_at = NULL, updated_at = ?
       WHERE stage_id = ? AND (status = 'QUEUED' OR (status = 'LEASED' AND lease_expires_at < ?))`,
    )
    .bind(now, stageId, now)
    .run();
  return res.meta.changes;
}
