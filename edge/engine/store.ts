/** D1 persistence for the engine: rows ↔ engine state. D1 is the system of record. */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { applications, executions, stages } from '../../db/schema.ts';
import { database, type Database } from '../lib/db.ts';
import type { ExecutionState, StageError, StageMeta, StageState, TriggerInfo } from './types.ts';

type ExecutionRow = typeof executions.$inferSelect;
type StageRow = typeof stages.$inferSelect;

export function toStage(r: StageRow): StageState {
  return {
    id: r.id,
    executionId: r.executionId,
    refId: r.refId,
    type: r.type,
    name: r.name,
    status: r.status,
    requisiteStageRefIds: r.requisiteStageRefIds,
    context: r.context,
    outputs: r.outputs,
    error: (r.error as StageError | null) ?? null,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    meta: r.meta as StageMeta,
  };
}

export function toExecution(r: ExecutionRow, timeZone = 'UTC'): ExecutionState {
  return {
    id: r.id,
    application: r.application,
    pipelineId: r.pipelineId,
    name: r.name,
    status: r.status,
    config: r.config,
    trigger: r.trigger as TriggerInfo,
    parameters: r.parameters,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    canceledBy: r.canceledBy,
    cancelReason: r.cancelReason,
    pausedAt: r.pausedAt,
    startTimeExpiry: r.startTimeExpiry,
    timeZone,
  };
}

export interface Loaded {
  execution: ExecutionState;
  stages: StageState[];
}

/** An execution with its stages (in config order), or null when it does not exist. */
export async function loadExecution(d1: D1Database, id: string): Promise<Loaded | null> {
  const db = database(d1);
  const [rows, stageRows] = await db.batch([
    db.select({ e: executions, tz: applications.timeZone }).from(executions).leftJoin(applications, eq(applications.name, executions.application)).where(eq(executions.id, id)),
    db.select().from(stages).where(eq(stages.executionId, id)).orderBy(sql`rowid`),
  ]);
  const row = rows[0];
  if (!row) return null;
  return { execution: toExecution(row.e, row.tz ?? 'UTC'), stages: stageRows.map(toStage) };
}

/** Collects the changes one handler makes and writes them in one D1 batch (one transaction). */
export class Changes {
  private readonly db: Database;
  private readonly stageUpdates = new Map<string, StageState>();
  private executionUpdate: ExecutionState | null = null;
  private readonly now: number;

  constructor(d1: D1Database, now: number) {
    this.db = database(d1);
    this.now = now;
  }

  stage(s: StageState): StageState {
    this.stageUpdates.set(s.id, s);
    return s;
  }

  execution(e: ExecutionState): ExecutionState {
    this.executionUpdate = e;
    return e;
  }

  /** The change this handler already made to a stage, if any. */
  pending(id: string): StageState | undefined {
    return this.stageUpdates.get(id);
  }

  pendingExecution(): ExecutionState | null {
    return this.executionUpdate;
  }

  get empty(): boolean {
    return this.stageUpdates.size === 0 && this.executionUpdate === null;
  }

  async commit(): Promise<void> {
    if (this.empty) return;
    const statements = [];
    for (const s of this.stageUpdates.values()) {
      statements.push(
        this.db
          .update(stages)
          .set({
            status: s.status,
            context: s.context,
            outputs: s.outputs,
            error: s.error,
            startedAt: s.startedAt,
            endedAt: s.endedAt,
            meta: s.meta as Record<string, unknown>,
            updatedAt: this.now,
          })
          .where(eq(stages.id, s.id)),
      );
    }
    const e = this.executionUpdate;
    if (e) {
      statements.push(
        this.db
          .update(executions)
          .set({
            status: e.status,
            startedAt: e.startedAt,
            endedAt: e.endedAt,
            canceledBy: e.canceledBy,
            cancelReason: e.cancelReason,
            pausedAt: e.pausedAt,
            updatedAt: this.now,
          })
          .where(eq(executions.id, e.id)),
      );
    } else {
      // The execution's updatedAt moves with every stage change: live views watch that one column.
      const id = [...this.stageUpdates.values()][0]!.executionId;
      statements.push(this.db.update(executions).set({ updatedAt: this.now }).where(eq(executions.id, id)));
    }
    await this.db.batch(statements as unknown as Parameters<Database['batch']>[0]);
  }
}

/** Executions of a pipeline in the given statuses, oldest first. */
export async function executionsOf(d1: D1Database, pipelineId: string, statuses: ExecutionState['status'][]) {
  const db = database(d1);
  return db
    .select({ id: executions.id, status: executions.status, createdAt: executions.createdAt, startTimeExpiry: executions.startTimeExpiry })
    .from(executions)
    .where(and(eq(executions.pipelineId, pipelineId), inArray(executions.status, statuses)))
    .orderBy(asc(executions.createdAt), asc(executions.id))
    .all();
}
