/**
 * Spinnaker's concurrency rules for one pipeline (Orca's shouldQueue and
 * StartWaitingExecutionsHandler), as one decision over D1. The pipeline's Durable Object runs it
 * serially, so two executions started in the same millisecond cannot both be admitted.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { executions, pipelines } from '../../db/schema.ts';
import { database } from '../lib/db.ts';
import { executionsOf } from './store.ts';

export interface ConcurrencyConfig {
  limitConcurrent: boolean;
  maxConcurrentExecutions: number;
  keepWaitingPipelines: boolean;
}

export interface Decision {
  start: string[];
  cancel: { id: string; reason: string }[];
}

interface Candidate {
  id: string;
  createdAt: number;
  startTimeExpiry: number | null;
}

/**
 * Pure: which waiting executions start and which are canceled, given what runs now. `admitted`
 * names a new execution: it starts if there is room and otherwise simply waits (Orca's
 * shouldQueue). Only when room frees up are waiting ones picked by keepWaitingPipelines.
 */
export function decide(config: ConcurrencyConfig, runningCount: number, waiting: readonly Candidate[], now: number, admitted?: string): Decision {
  const cancel: Decision['cancel'] = [];
  let live: Candidate[] = [];
  for (const w of waiting) {
    if (w.startTimeExpiry !== null && w.startTimeExpiry <= now) {
      cancel.push({ id: w.id, reason: `start time expiry passed (${new Date(w.startTimeExpiry).toISOString()}) before it could start` });
    } else live.push(w);
  }
  const capacity = config.limitConcurrent ? 1 : config.maxConcurrentExecutions > 0 ? config.maxConcurrentExecutions : Infinity;
  let slots = capacity - runningCount;
  const start: string[] = [];
  const mine = live.find((w) => w.id === admitted);
  if (mine) {
    live = live.filter((w) => w !== mine);
    if (slots > 0) {
      start.push(mine.id);
      slots--;
    }
  }
  if (slots <= 0 || live.length === 0) return { start, cancel };
  if (capacity === Infinity) return { start: [...start, ...live.map((w) => w.id)], cancel };
  const ordered = [...live].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  if (config.keepWaitingPipelines) {
    while (slots-- > 0 && ordered.length) start.push(ordered.shift()!.id);
    return { start, cancel };
  }
  // Newest first; every older waiting execution is superseded by it.
  const newest = ordered.pop()!;
  for (const older of ordered) cancel.push({ id: older.id, reason: `superseded by a newer waiting execution ${newest.id} (keepWaitingPipelines is false)` });
  return { start: [...start, newest.id], cancel };
}

/** Where a waiting execution stands in the queue: 1 starts next. */
export function queuePosition(config: ConcurrencyConfig, waiting: readonly Candidate[], id: string): number | null {
  const ordered = [...waiting].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  if (!config.keepWaitingPipelines) ordered.reverse();
  const i = ordered.findIndex((w) => w.id === id);
  return i < 0 ? null : i + 1;
}

export function concurrencyOf(config: Record<string, unknown>): ConcurrencyConfig {
  return {
    limitConcurrent: config.limitConcurrent !== false,
    maxConcurrentExecutions: Number(config.maxConcurrentExecutions ?? 0),
    keepWaitingPipelines: config.keepWaitingPipelines === true,
  };
}

const ACTIVE = ['RUNNING', 'PAUSED', 'SUSPENDED'] as const;

/**
 * Applies the decision to D1 with compare-and-set on NOT_STARTED, returning the executions this
 * call moved to RUNNING (their runners must be told to start them).
 */
export async function reconcile(d1: D1Database, pipelineId: string, now: number, admitted?: string, systemUser = 'gennaker'): Promise<{ started: string[]; canceled: string[]; stalled: string[] }> {
  const db = database(d1);
  const pipeline = await db.select({ config: pipelines.config }).from(pipelines).where(eq(pipelines.id, pipelineId)).get();
  const rows = await executionsOf(d1, pipelineId, ['NOT_STARTED', ...ACTIVE]);
  const running = rows.filter((r) => r.status !== 'NOT_STARTED');
  const waiting = rows.filter((r) => r.status === 'NOT_STARTED');
  // A deleted pipeline's waiting executions still run by the rules they were started with: the default ones.
  const decision = decide(concurrencyOf(pipeline?.config ?? {}), running.length, waiting, now, admitted);
  const started: string[] = [];
  const canceled: string[] = [];
  for (const c of decision.cancel) {
    const res = await db
      .update(executions)
      .set({ status: 'CANCELED', canceledBy: systemUser, cancelReason: c.reason, endedAt: now, updatedAt: now })
      .where(and(eq(executions.id, c.id), eq(executions.status, 'NOT_STARTED')))
      .run();
    if (res.meta.changes === 1) canceled.push(c.id);
  }
  for (const id of decision.start) {
    const res = await db
      .update(executions)
      .set({ status: 'RUNNING', updatedAt: now })
      .where(and(eq(executions.id, id), eq(executions.status, 'NOT_STARTED')))
      .run();
    if (res.meta.changes === 1) started.push(id);
  }
  // RUNNING but never started: admitted before a crash cut the message to its runner. Idempotent to resend.
  const stalledRows = await db
    .select({ id: executions.id })
    .from(executions)
    .where(and(eq(executions.pipelineId, pipelineId), eq(executions.status, 'RUNNING'), isNull(executions.startedAt)))
    .all();
  return { started, canceled, stalled: stalledRows.map((r) => r.id).filter((id) => !started.includes(id)) };
}
