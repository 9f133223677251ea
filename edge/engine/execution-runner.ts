/**
 * One Durable Object per execution: a durable, ordered message queue in its own storage, drained
 * one message at a time, with an alarm for the earliest timed message. Restarting the edge
 * loses nothing: the queue and the alarm survive, and D1 holds the state.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { doPorts } from './do-ports.ts';
import { processBatch, processMessage } from './engine.ts';
import type { Message } from './messages.ts';

interface Envelope {
  message: Message;
  attempts: number;
}

const MAX_ATTEMPTS = 8;
/** Due messages taken from storage at once, and handler steps (with what they send) per D1 commit. */
const BATCH = 32;
const STEPS_PER_BATCH = 256;
const pad = (n: number, width: number) => String(Math.max(0, Math.floor(n))).padStart(width, '0');

export class ExecutionRunner extends DurableObject<Env> {
  private seq = 0;
  private draining: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.seq = (await ctx.storage.get<number>('seq')) ?? 0;
    });
  }

  /** Stores messages (due now, or at `atMs`) and starts draining. Resolves once they are durable. */
  async enqueue(messages: Message[], atMs?: number): Promise<void> {
    await this.store(messages.map((message) => ({ key: this.key(atMs ?? Date.now()), value: { message, attempts: 0 } })));
    await this.armAlarm();
    this.ctx.waitUntil(this.drain());
  }

  /** How many messages wait (due or timed); for tests and the bench. */
  async pending(): Promise<number> {
    return (await this.ctx.storage.list({ prefix: 'q:' })).size;
  }

  override async alarm(): Promise<void> {
    await this.drain();
  }

  private key(atMs: number): string {
    return `q:${pad(atMs, 15)}:${pad(++this.seq, 12)}`;
  }

  private async store(entries: { key: string; value: Envelope }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ctx.storage.put({ ...Object.fromEntries(entries.map((e) => [e.key, e.value])), seq: this.seq });
  }

  /** One drain at a time: a message is handled only after the previous one is committed. */
  private drain(): Promise<void> {
    this.draining ??= this.loop().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async loop(): Promise<void> {
    for (;;) {
      const due = await this.ctx.storage.list<Envelope>({ prefix: 'q:', end: `q:${pad(Date.now() + 1, 15)}`, limit: BATCH });
      if (due.size === 0) break;
      const entries = [...due.entries()];
      // A message that failed before is retried alone, so its attempts are counted for it.
      if (entries[0]![1].attempts > 0) await this.handleOne(entries[0]![0], entries[0]![1]);
      else if (!(await this.handleBatch(entries.filter(([, e]) => e.attempts === 0)))) await this.handleOne(entries[0]![0], entries[0]![1]);
    }
    await this.armAlarm();
  }

  private deps() {
    return { env: this.env, ports: doPorts(this.env), fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) };
  }

  /** Handles due messages and what they send, committing D1 once; false when it must fall back to one at a time. */
  private async handleBatch(entries: [string, Envelope][]): Promise<boolean> {
    const now = Date.now();
    try {
      const result = await processBatch(this.deps(), entries.map(([, e]) => e.message), now, STEPS_PER_BATCH);
      await this.ctx.storage.transaction(async (tx) => {
        await tx.delete(entries.slice(0, result.handled).map(([k]) => k));
        const next = [...result.due.map((message) => [this.key(now), message] as const), ...result.timed.map((e) => [this.key(e.atMs), e.message] as const)];
        await tx.put({ ...Object.fromEntries(next.map(([k, message]) => [k, { message, attempts: 0 }])), seq: this.seq });
      });
      return true;
    } catch (err) {
      console.error(JSON.stringify({ event: 'batch.failed', executionId: entries[0]?.[1].message.executionId, message: (err as Error).message }));
      return false;
    }
  }

  private async handleOne(key: string, envelope: Envelope): Promise<void> {
    const now = Date.now();
    try {
      const emitted = await processMessage(this.deps(), envelope.message, now);
      // Deleting the handled message and storing what it sent is one atomic storage write.
      await this.ctx.storage.transaction(async (tx) => {
        await tx.delete(key);
        const entries = emitted.map((e) => [this.key(e.atMs), { message: e.message, attempts: 0 }] as const);
        await tx.put({ ...Object.fromEntries(entries), seq: this.seq });
      });
    } catch (err) {
      const attempts = envelope.attempts + 1;
      const message = (err as Error).message;
      console.error(JSON.stringify({ event: 'message.failed', type: envelope.message.type, executionId: envelope.message.executionId, attempts, message }));
      await this.ctx.storage.delete(key);
      if (attempts < MAX_ATTEMPTS) {
        // Transient trouble (D1 busy, a peer object restarting): try again with backoff.
        await this.store([{ key: this.key(now + 200 * 2 ** attempts), value: { message: envelope.message, attempts } }]);
      } else {
        console.error(JSON.stringify({ event: 'message.abandoned', type: envelope.message.type, executionId: envelope.message.executionId, message }));
        await this.abandon(envelope.message, message);
      }
    }
  }

  /**
   * A message that keeps failing must not leave the execution RUNNING forever: its stage (if it
   * names one) and the execution end TERMINAL with the reason, and admission is told.
   */
  private async abandon(message: Message, reason: string): Promise<void> {
    const now = Date.now();
    const error = JSON.stringify({ kind: 'internal', message: `the engine gave up on ${message.type} after ${MAX_ATTEMPTS} attempts: ${reason}` });
    const d1 = this.env.DB;
    const statements = [
      d1.prepare(`UPDATE executions SET status = 'TERMINAL', ended_at = ?, updated_at = ? WHERE id = ? AND ended_at IS NULL`).bind(now, now, message.executionId),
    ];
    if ('stageId' in message) {
      statements.push(
        d1.prepare(`UPDATE stages SET status = 'TERMINAL', error = ?, ended_at = ?, updated_at = ? WHERE id = ? AND status NOT IN ('SUCCEEDED','FAILED_CONTINUE','SKIPPED','TERMINAL','CANCELED','STOPPED')`).bind(error, now, now, message.stageId),
      );
    }
    try {
      await d1.batch(statements);
      const row = await d1.prepare('SELECT pipeline_id FROM executions WHERE id = ?').bind(message.executionId).first<{ pipeline_id: string | null }>();
      if (row?.pipeline_id) await doPorts(this.env).release(row.pipeline_id);
    } catch (err) {
      console.error(JSON.stringify({ event: 'abandon.failed', executionId: message.executionId, message: (err as Error).message }));
    }
  }

  private async armAlarm(): Promise<void> {
    const first = (await this.ctx.storage.list({ prefix: 'q:', limit: 1 })).keys().next();
    if (first.done) return void (await this.ctx.storage.deleteAlarm());
    const at = Number(first.value.slice(2, 17));
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at || current < Date.now() - 1000) await this.ctx.storage.setAlarm(Math.max(at, Date.now()));
  }
}
