/**
 * One Durable Object per pipeline: admits executions by the pipeline's concurrency rules, one
 * decision at a time. D1 holds the queue (NOT_STARTED executions); this object only serialises.
 */
import { DurableObject } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { executions } from '../../db/schema.ts';
import type { Env } from '../env.ts';
import { database } from '../lib/db.ts';
import { reconcile } from './admission.ts';
import { runnerOf } from './do-ports.ts';
import type { TriggerInfo } from './types.ts';

const RECHECK_MS = 30_000;

export class PipelineAdmission extends DurableObject<Env> {
  private chain: Promise<unknown> = Promise.resolve();

  /** Serialises decisions: D1 calls let other requests interleave, and admission must not. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** A new execution was stored NOT_STARTED: start it now if the rules allow. */
  async admit(pipelineId: string, executionId: string): Promise<void> {
    await this.serial(() => this.run(pipelineId, executionId));
  }

  /** An execution of this pipeline ended: start whatever may start now. */
  async release(pipelineId: string): Promise<void> {
    await this.serial(() => this.run(pipelineId));
  }

  /** Cancels a waiting execution; false when it is no longer waiting (the caller cancels the run). */
  async cancelWaiting(pipelineId: string, executionId: string, user: string, reason: string): Promise<boolean> {
    return this.serial(async () => {
      const now = Date.now();
      const db = database(this.env.DB);
      const res = await db
        .update(executions)
        .set({ status: 'CANCELED', canceledBy: user, cancelReason: reason, endedAt: now, updatedAt: now })
        .where(and(eq(executions.id, executionId), eq(executions.status, 'NOT_STARTED')))
        .run();
      if (res.meta.changes !== 1) return false;
      await this.tellParents([executionId]);
      await this.run(pipelineId);
      return true;
    });
  }

  override async alarm(): Promise<void> {
    const pipelineId = await this.ctx.storage.get<string>('pipelineId');
    if (pipelineId) await this.serial(() => this.run(pipelineId));
  }

  private async run(pipelineId: string, admitted?: string): Promise<void> {
    await this.ctx.storage.put('pipelineId', pipelineId);
    const result = await reconcile(this.env.DB, pipelineId, Date.now(), admitted);
    for (const id of [...result.started, ...result.stalled]) {
      await runnerOf(this.env, id).enqueue([{ type: 'startExecution', executionId: id }]);
    }
    await this.tellParents(result.canceled);
    // Look again soon while anything was just admitted, in case a runner missed its start.
    if (result.started.length || result.stalled.length) await this.ctx.storage.setAlarm(Date.now() + RECHECK_MS);
  }

  /** A waiting child canceled here never runs, so its parent's `pipeline` stage is told now. */
  private async tellParents(executionIds: string[]): Promise<void> {
    for (const id of executionIds) {
      const row = await database(this.env.DB).select({ trigger: executions.trigger }).from(executions).where(eq(executions.id, id)).get();
      const t = row?.trigger as TriggerInfo | undefined;
      if (!t?.parentExecutionId || !t.parentStageId) continue;
      await runnerOf(this.env, t.parentExecutionId).enqueue([
        { type: 'stageInput', executionId: t.parentExecutionId, stageId: t.parentStageId, input: { kind: 'childCompleted', childExecutionId: id, status: 'CANCELED' } },
      ]);
    }
  }
}
