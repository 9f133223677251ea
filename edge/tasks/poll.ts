/** The long poll: hold an agent's request open until tasks can be leased to it, or time runs out. */
import type { LeasedTask } from '../../contract/operations.ts';
import type { Env } from '../env.ts';
import { doorbellOf, TASK_RECHECK_MS } from './doorbell.ts';
import { claimTasks, failAbandonedTasks, type Abandoned } from './lease.ts';

/** How long to wait before re-checking D1 when the doorbell cannot be reached. */
const NO_BELL_SLEEP_MS = 500;

export interface PollOptions {
  waitMs: number;
  maxTasks: number;
  /** Aborted when the agent hangs up: stop taking tasks it would never see. */
  signal?: AbortSignal | undefined;
  clock?: () => number;
  /** Told of the agent's tasks given up after their last attempt (to pass on to their stages). */
  onAbandoned?: (tasks: Abandoned[]) => Promise<void>;
}

/**
 * Leases tasks to the agent as soon as there are any, waiting up to `waitMs`. The ring count is
 * read before each D1 check, so a task queued between the check and the wait still wakes it.
 */
export async function pollTasks(env: Pick<Env, 'DB' | 'TASK_DOORBELLS'>, agentId: string, opts: PollOptions): Promise<LeasedTask[]> {
  const clock = opts.clock ?? Date.now;
  const deadline = clock() + opts.waitMs;
  // A fresh stub per call: getting one costs nothing, and one that threw may stay broken.
  const bell = () => doorbellOf(env, agentId);
  let rung = await bell().current().catch(() => null);
  // Once a poll: a lease that runs out meanwhile is found by the agent's next poll.
  const abandoned = await failAbandonedTasks(env.DB, agentId, clock());
  if (abandoned.length) await opts.onAbandoned?.(abandoned);
  for (;;) {
    const tasks = await claimTasks(env.DB, agentId, opts.maxTasks, clock());
    const remainingMs = deadline - clock();
    if (tasks.length > 0 || remainingMs <= 0 || opts.signal?.aborted) return tasks;
    const waitMs = Math.min(remainingMs, TASK_RECHECK_MS);
    if (rung === null) {
      // Without the doorbell, re-check D1 at a pace its per-request query budget allows.
      await sleep(Math.min(waitMs, NO_BELL_SLEEP_MS));
      rung = await bell().current().catch(() => null);
    } else {
      rung = await bell().wait(rung, waitMs).catch(() => null);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
