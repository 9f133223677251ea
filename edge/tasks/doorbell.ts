/**
 * One Durable Object per agent that wakes its waiting polls the moment a task is queued for it.
 * A poll holds its request open for up to 30 s; checking D1 every 25 ms for that long would
 * spend D1's 1000-queries-per-invocation budget on one poll. Instead a poll re-checks D1 when
 * the bell rings, and every {@link TASK_RECHECK_MS} for expired leases (which ring no bell).
 * The bell keeps nothing durable: a ring lost to an eviction costs at most one re-check period.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';

/** How often a waiting poll re-checks D1 without a ring (expired leases, a lost ring). */
export const TASK_RECHECK_MS = 2_000;
const MAX_WAIT_MS = 30_000;

export class TaskDoorbell extends DurableObject<Env> {
  // A random start: a poll holding a number from before an eviction sees a change and re-checks.
  private rung = Math.floor(Math.random() * 2 ** 31);
  private readonly waiters = new Set<() => void>();

  /** The current ring count; take it before checking D1, then wait with it. */
  current(): number {
    return this.rung;
  }

  /** Wakes every waiting poll. */
  ring(): number {
    this.rung++;
    for (const wake of this.waiters) wake();
    return this.rung;
  }

  /** Resolves with the ring count once it differs from `since`, or after `timeoutMs`. */
  async wait(since: number, timeoutMs: number): Promise<number> {
    if (since !== this.rung) return this.rung;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, Math.min(timeoutMs, MAX_WAIT_MS)));
      this.waiters.add(wake);
    });
    return this.rung;
  }
}

export const doorbellOf = (env: Pick<Env, 'TASK_DOORBELLS'>, agentId: string) => env.TASK_DOORBELLS.get(env.TASK_DOORBELLS.idFromName(agentId));

/** Wakes the agent's waiting polls (after a task was queued for it). */
export async function wakeAgent(env: Pick<Env, 'TASK_DOORBELLS'>, agentId: string): Promise<void> {
  await doorbellOf(env, agentId).ring();
}
