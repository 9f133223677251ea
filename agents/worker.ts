/**
 * The agent's task loop: long-poll the edge for tasks, run each through the provider of its
 * account, keep its lease with heartbeats (carrying its log lines), and report the outcome once.
 * Tasks run concurrently up to a limit, but two tasks on one server group never run at once.
 */
import { MAX_TASKS_PER_POLL } from '../contract/agent-protocol.ts';
import { TASK_LEASE_MS, type LeasedTask } from '../contract/operations.ts';
import { AgentApiError, type AgentClient, type TaskCompletionBody } from './client.ts';
import { parseOperation, runOperation, serverGroupKey, subjectOf, type ParsedOperation } from './operation.ts';
import type { AgentMetrics } from './metrics/index.ts';
import type { Provider } from './providers/provider.ts';
import { retryDelayMs, seconds } from './retry.ts';

export type TaskClient = Pick<AgentClient, 'pollTasks' | 'heartbeatTask' | 'completeTask'>;

export interface WorkerDeps {
  client: TaskClient;
  credential: string;
  /** The provider serving an account; undefined when this agent has none for it. */
  providerFor: (account: string) => Provider | undefined;
  log: (line: string) => void;
  /** Waits, but returns early once `signal` is aborted. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** Epoch ms. */
  now: () => number;
  /** Canary metrics (scrape registrations, `collectMetrics`); without it those tasks fail, saying so. */
  metrics?: AgentMetrics;
}

export interface WorkerOptions {
  /** Tasks running at once. */
  maxRunning: number;
  /** Tasks held at once: running, or waiting for their server group or a free slot. */
  maxHeld: number;
  heartbeatIntervalMs: number;
  pollWaitMs: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = { maxRunning: 4, maxHeld: 8, heartbeatIntervalMs: 10_000, pollWaitMs: 25_000 };

/** Log lines one heartbeat or completion carries (the protocol's limit). */
/** Longest wait between failed polls. */
const POLL_RETRY_CAP_MS = 5_000;
const LINES_PER_CALL = 200;
/** Unsent lines kept while the edge cannot be reached; the edge keeps fewer anyway. */
const MAX_PENDING_LINES = 1_000;
const MAX_LINE_CHARS = 4_000;
const MAX_ERROR_CHARS = 4_000;

/** A task this agent holds a lease on. */
interface Lease {
  task: LeasedTask;
  label: string;
  /** Unsent log lines. */
  logs: string[];
  /**
   * When the lease runs out by this machine's clock: the last grant plus the lease time (the
   * edge's `leaseExpiresAt` is by its clock, which may differ from ours).
   */
  leaseUntil: number;
  /** The edge said the task is no longer this agent's (canceled, or leased to another). */
  lost: boolean;
  heartbeats: AbortController;
}

/** A task accepted to run. */
interface Held extends Lease {
  op: ParsedOperation;
  provider: Provider;
  started: boolean;
}

export class TaskWorker {
  readonly #deps: WorkerDeps;
  readonly #options: WorkerOptions;
  readonly #held = new Map<string, Held>();
  readonly #busyGroups = new Set<string>();
  readonly #inflight = new Set<Promise<void>>();
  #running = 0;
  #freed: (() => void) | null = null;

  constructor(deps: WorkerDeps, options: Partial<WorkerOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_WORKER_OPTIONS, ...options };
  }

  /** Polls until `signal` is aborted, then lets running tasks finish and report; unstarted ones are left to their lease. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const free = this.#options.maxHeld - this.#held.size;
      if (free <= 0) {
        await this.#slotFreed(signal);
        continue;
      }
      let tasks: LeasedTask[];
      try {
        tasks = await this.#deps.client.pollTasks(this.#deps.credential, { waitMs: this.#options.pollWaitMs, maxTasks: Math.min(free, MAX_TASKS_PER_POLL) }, signal);
      } catch (err) {
        if (signal.aborted) break;
        // Anything else is a fault of this agent, not of the edge: still retried, because a dead
        // task loop under a live heartbeat would show the agent online while it takes no work.
        const reason = err instanceof AgentApiError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
        // Capped lower than other retries: tasks queued meanwhile should not wait long after the edge is back.
        const delayMs = Math.min(POLL_RETRY_CAP_MS, retryDelayMs(failures++, this.#deps.random));
        this.#deps.log(`cannot poll for tasks (${reason}); retrying in ${seconds(delayMs)}`);
        await this.#deps.sleep(delayMs, signal);
        continue;
      }
      if (failures > 0) this.#deps.log('polling for tasks again');
      failures = 0;
      for (const task of tasks) this.#accept(task);
    }
    await this.#drain();
  }

  /** How many tasks are held (running or waiting); for tests and status lines. */
  get held(): number {
    return this.#held.size;
  }

  #accept(task: LeasedTask): void {
    const again = this.#held.get(task.id);
    if (again) {
      // Our own lease ran out and a poll gave the task back to us: it is still here.
      again.leaseUntil = this.#deps.now() + TASK_LEASE_MS;
      if (again.lost) {
        again.lost = false;
        this.#track(this.#heartbeatLoop(again));
      }
      return;
    }
    const short = `task ${task.id.slice(0, 8)}`;
    const parsed = parseOperation(task);
    if (!parsed.ok) return this.#refuse(task, short, parsed.error);
    const provider = this.#deps.providerFor(task.account);
    if (!provider) return this.#refuse(task, short, `this agent has no provider for account "${task.account}"`);
    const label = `${short} ${task.operation} ${subjectOf(parsed.op)}`;
    const held: Held = { task, op: parsed.op, provider, label, logs: [], leaseUntil: this.#deps.now() + TASK_LEASE_MS, lost: false, started: false, heartbeats: new AbortController() };
    this.#held.set(task.id, held);
    this.#deps.log(`${label}: received (attempt ${task.attempt}, account ${task.account})`);
    this.#track(this.#heartbeatLoop(held));
    this.#schedule();
  }

  /** A task the agent cannot run is reported failed at once, naming why. */
  #refuse(task: LeasedTask, label: string, error: string): void {
    this.#deps.log(`${label}: refusing ${task.operation} (${error})`);
    const lease: Lease = { task, label, logs: [`refused: ${error}`], leaseUntil: this.#deps.now() + TASK_LEASE_MS, lost: false, heartbeats: new AbortController() };
    this.#track(this.#complete(lease, { ok: false, error: error.slice(0, MAX_ERROR_CHARS) }));
  }

  /** Starts waiting tasks while slots are free, oldest first, one per server group. */
  #schedule(): void {
    for (const held of this.#held.values()) {
      if (held.started) continue;
      if (held.lost) {
        this.#deps.log(`${held.label}: dropped before it started (no longer this agent's)`);
        this.#release(held);
        continue;
      }
      if (this.#running >= this.#options.maxRunning) break;
      const key = serverGroupKey(held.op);
      if (this.#busyGroups.has(key)) continue;
      held.started = true;
      this.#running++;
      this.#busyGroups.add(key);
      this.#track(this.#execute(held, key));
    }
  }

  async #execute(held: Held, key: string): Promise<void> {
    const log = (line: string) => {
      held.logs.push(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line);
      if (held.logs.length > MAX_PENDING_LINES) held.logs.splice(0, held.logs.length - MAX_PENDING_LINES);
      this.#deps.log(`  [${held.label}] ${line}`);
    };
    let outcome: Omit<TaskCompletionBody, 'idempotencyKey'>;
    try {
      outcome = { ok: true, result: await runOperation(held.provider, held.op, log, this.#deps.metrics) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      outcome = { ok: false, error: message.slice(0, MAX_ERROR_CHARS) };
    }
    this.#deps.log(`${held.label}: ${outcome.ok ? 'done' : `failed: ${outcome.error}`}`);
    held.heartbeats.abort();
    try {
      await this.#complete(held, outcome);
    } finally {
      this.#running--;
      this.#busyGroups.delete(key);
      this.#release(held);
      this.#schedule();
    }
  }

  /**
   * Reports the outcome with the task's idempotency key. Network trouble is retried until the
   * lease would run out (after that the edge hands the task out again); a refusal (409: late,
   * duplicate, canceled) is logged and the task let go.
   */
  async #complete(held: Lease, outcome: Omit<TaskCompletionBody, 'idempotencyKey'>): Promise<void> {
    // Lines beyond what one completion carries go first, by heartbeat, oldest first.
    while (held.logs.length > LINES_PER_CALL && (await this.#heartbeat(held)) === 'ok');
    const body: TaskCompletionBody = { idempotencyKey: held.task.idempotencyKey, ...outcome, logs: held.logs.splice(-LINES_PER_CALL) };
    const never = new AbortController().signal;
    for (let attempt = 0; ; attempt++) {
      try {
        const accepted = await this.#deps.client.completeTask(this.#deps.credential, held.task.id, body);
        this.#deps.log(`${held.label}: reported ${accepted.status}`);
        return;
      } catch (err) {
        if (!(err instanceof AgentApiError)) throw err;
        if (!err.retryable) return this.#deps.log(`${held.label}: the edge did not take the outcome (${err.message}); moving on`);
        const delayMs = retryDelayMs(attempt, this.#deps.random);
        if (this.#deps.now() + delayMs >= held.leaseUntil) {
          return this.#deps.log(`${held.label}: could not report the outcome before the lease ran out (${err.message}); the edge will hand the task out again`);
        }
        this.#deps.log(`${held.label}: cannot report the outcome yet (${err.message}); retrying in ${seconds(delayMs)}`);
        await this.#deps.sleep(delayMs, never);
      }
    }
  }

  async #heartbeatLoop(held: Lease): Promise<void> {
    const signal = held.heartbeats.signal;
    while (!signal.aborted) {
      await this.#deps.sleep(this.#options.heartbeatIntervalMs, signal);
      if (signal.aborted || (await this.#heartbeat(held)) === 'lost') return;
    }
  }

  /** One heartbeat with the next log lines: `failed` keeps the lines for the next one. */
  async #heartbeat(held: Lease): Promise<'ok' | 'failed' | 'lost'> {
    const lines = held.logs.splice(0, LINES_PER_CALL);
    try {
      await this.#deps.client.heartbeatTask(this.#deps.credential, held.task.id, lines);
      held.leaseUntil = this.#deps.now() + TASK_LEASE_MS;
      return 'ok';
    } catch (err) {
      if (!(err instanceof AgentApiError)) throw err;
      if (err.retryable) {
        held.logs.unshift(...lines);
        this.#deps.log(`${held.label}: heartbeat failed (${err.message}); retrying`);
        return 'failed';
      }
      held.lost = true;
      this.#deps.log(`${held.label}: the edge no longer holds this task for this agent (${err.message}); its outcome will be ignored`);
      return 'lost';
    }
  }

  #release(held: Held): void {
    held.heartbeats.abort();
    this.#held.delete(held.task.id);
    this.#freed?.();
  }

  #track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.#deps.log(`task worker error: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => this.#inflight.delete(tracked));
    this.#inflight.add(tracked);
  }

  #slotFreed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#freed = null;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#freed = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** On stop: tasks not started are let go (their leases return them to the queue); running ones finish. */
  async #drain(): Promise<void> {
    const waiting = [...this.#held.values()].filter((h) => !h.started);
    for (const held of waiting) this.#release(held);
    if (waiting.length) this.#deps.log(`left ${waiting.length} task(s) not yet started to the edge; they return to the queue when their leases run out`);
    if (this.#running) this.#deps.log(`waiting for ${this.#running} running task(s) to finish`);
    while (this.#inflight.size) await Promise.all([...this.#inflight]);
  }
}
