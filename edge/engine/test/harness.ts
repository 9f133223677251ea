/**
 * Runs the engine in-process over the real D1 of the test runtime, with a clock the test moves
 * and an in-memory queue in place of the Durable Objects. Same handlers, same D1, no waiting.
 */
import { env } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { applications, executions, pipelines, stages } from '../../../db/schema.ts';
import { database } from '../../lib/db.ts';
import { validatePipelineConfig } from '../../../contract/pipelines.ts';
import { reconcile } from '../admission.ts';
import { createExecutionStatements } from '../create-execution.ts';
import { processMessage } from '../engine.ts';
import type { Message } from '../messages.ts';
import { resolveParameters, type ParameterConfig } from '../parameters.ts';
import type { Ports } from '../ports.ts';
import type { ExecutionStatus, TriggerInfo } from '../types.ts';

let counter = 0;
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

interface Queued {
  message: Message;
  atMs: number;
  seq: number;
}

export class Harness {
  now = Date.UTC(2026, 10, 26, 12, 0, 0);
  readonly app = unique('h');
  readonly handled: Message[] = [];
  private queue: Queued[] = [];
  private seq = 0;
  fetch: typeof fetch = async () => new Response('no fetch in this test', { status: 599 });
  readonly db = database(env.DB);

  readonly ports: Ports = {
    send: async (_id, messages) => this.enqueue(messages),
    release: async (pipelineId) => this.admit(pipelineId),
    startChild: async (req) => {
      const p = await this.db.select().from(pipelines).where(and(eq(pipelines.application, req.application), eq(pipelines.name, req.pipeline))).get();
      if (!p) throw new Error(`no pipeline "${req.pipeline}"`);
      const resolved = resolveParameters((p.config.parameterConfig ?? []) as ParameterConfig[], req.parameters);
      if (!resolved.ok) throw new Error(resolved.message);
      const id = `child-${req.childId}`;
      await this.db.batch(createExecutionStatements(env.DB, p, {
        id, now: this.now, parameters: resolved.parameters,
        trigger: { type: 'pipeline', user: req.user, parameters: resolved.parameters, parentExecutionId: req.parentExecutionId, parentStageId: req.parentStageId },
      }) as never);
      await this.admit(p.id, id);
      return { executionId: id };
    },
    cancel: async (id, user, reason) => {
      const row = await this.db.select().from(executions).where(eq(executions.id, id)).get();
      if (row?.status === 'NOT_STARTED') {
        await this.db.update(executions).set({ status: 'CANCELED', canceledBy: user, cancelReason: reason, endedAt: this.now }).where(eq(executions.id, id)).run();
        if (row.pipelineId) await this.admit(row.pipelineId);
        return;
      }
      this.enqueue([{ type: 'cancelExecution', executionId: id, user, reason }]);
    },
    childStatus: async (id) => (await this.db.select({ status: executions.status }).from(executions).where(eq(executions.id, id)).get())?.status ?? null,
  };

  enqueue(messages: Message[], atMs = this.now): void {
    for (const message of messages) this.queue.push({ message, atMs, seq: this.seq++ });
  }

  /** Saves a pipeline (validated like the API does) in this harness's application. */
  async pipeline(config: Record<string, unknown>): Promise<string> {
    await this.db.insert(applications).values({ name: this.app, createdBy: 'test', createdAt: this.now, updatedAt: this.now }).onConflictDoNothing().run();
    const valid = validatePipelineConfig(config);
    if (!valid.ok) throw new Error(`invalid test pipeline: ${valid.message}`);
    const id = unique('p');
    await this.db.insert(pipelines).values({ id, application: this.app, name: String(config.name ?? id), config: valid.value as never, version: 1, createdAt: this.now, updatedAt: this.now, updatedBy: 'test' }).run();
    return id;
  }

  /** Starts an execution as the API does: stored NOT_STARTED, then admitted. */
  async start(pipelineId: string, opts: { parameters?: Record<string, unknown>; startTimeExpiry?: number; trigger?: Partial<TriggerInfo> } = {}): Promise<string> {
    const p = await this.db.select().from(pipelines).where(eq(pipelines.id, pipelineId)).get();
    if (!p) throw new Error('no pipeline');
    const resolved = resolveParameters((p.config.parameterConfig ?? []) as ParameterConfig[], opts.parameters ?? {});
    if (!resolved.ok) throw new Error(resolved.message);
    const id = unique('e');
    const trigger = { type: 'api' as const, user: 'token:test', parameters: resolved.parameters, ...opts.trigger };
    await this.db.batch(createExecutionStatements(env.DB, p, { id, trigger, parameters: resolved.parameters, now: this.now, startTimeExpiry: opts.startTimeExpiry ?? null }) as never);
    await this.admit(pipelineId, id);
    return id;
  }

  async admit(pipelineId: string, admitted?: string): Promise<void> {
    const r = await reconcile(env.DB, pipelineId, this.now, admitted);
    for (const id of [...r.started, ...r.stalled]) this.enqueue([{ type: 'startExecution', executionId: id }]);
  }

  /** Handles every message due now, in order, including those they send. */
  async run(limit = 5000): Promise<void> {
    for (let i = 0; i < limit; i++) {
      this.queue.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
      const next = this.queue[0];
      if (!next || next.atMs > this.now) return;
      this.queue.shift();
      this.handled.push(next.message);
      const emitted = await processMessage({ env: env as never, ports: this.ports, fetch: (i, init) => this.fetch(i, init), log: () => {} }, next.message, this.now);
      for (const e of emitted) this.queue.push({ message: e.message, atMs: e.atMs, seq: this.seq++ });
    }
    throw new Error('engine did not settle');
  }

  /** Moves the clock forward and runs what became due, step by step so timed messages keep order. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await this.run();
      const due = this.queue.filter((q) => q.atMs <= end).sort((a, b) => a.atMs - b.atMs)[0];
      if (!due) break;
      this.now = Math.max(this.now, due.atMs);
    }
    this.now = end;
    await this.run();
  }

  /** Sends a control message as the API would, then runs. */
  async send(message: Message): Promise<void> {
    this.enqueue([message]);
    await this.run();
  }

  async execution(id: string) {
    const row = await this.db.select().from(executions).where(eq(executions.id, id)).get();
    if (!row) throw new Error(`no execution ${id}`);
    return row;
  }

  async status(id: string): Promise<ExecutionStatus> {
    return (await this.execution(id)).status;
  }

  async stage(executionId: string, refId: string) {
    const row = await this.db.select().from(stages).where(and(eq(stages.executionId, executionId), eq(stages.refId, refId))).get();
    if (!row) throw new Error(`no stage ${refId}`);
    return row;
  }

  /** `{refId: status}` for every stage of an execution. */
  async statuses(executionId: string): Promise<Record<string, ExecutionStatus>> {
    const rows = await this.db.select({ refId: stages.refId, status: stages.status }).from(stages).where(eq(stages.executionId, executionId)).all();
    return Object.fromEntries(rows.map((r) => [r.refId, r.status]));
  }

  pendingCount(): number {
    return this.queue.length;
  }
}

/** Shorthand for a stage config. */
export const stage = (refId: string, type: string, extra: Record<string, unknown> = {}, requisites: string[] = []) => ({
  refId,
  type,
  name: (extra.name as string | undefined) ?? `${type} ${refId}`,
  requisiteStageRefIds: requisites,
  ...extra,
});
