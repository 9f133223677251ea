/**
 * Keeps the edge's picture of each account current: a full inventory report when the provider
 * says something changed (changes within ~250 ms are sent as one), and at least every
 * INVENTORY_INTERVAL_SEC whatever happens, so a lost report heals by itself.
 */
import { firstIssue } from '../contract/errors.ts';
import { INVENTORY_INTERVAL_SEC, inventoryReport, type InventoryReport } from '../contract/operations.ts';
import type { Provider } from './providers/provider.ts';
import { retryDelayMs } from './retry.ts';

/** The timer functions the reporter uses, injected so tests can drive time. */
export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  now: () => number;
}

export interface InventoryDeps {
  /** Sends one account's report to the edge. */
  send: (report: InventoryReport) => Promise<unknown>;
  log: (line: string) => void;
  timers?: Timers;
}

export interface InventoryOptions {
  /** Changes within this long after the first one go out as one report. */
  debounceMs: number;
  /** The longest time between two reports of an account. */
  intervalMs: number;
}

export const DEFAULT_INVENTORY_OPTIONS: InventoryOptions = { debounceMs: 250, intervalMs: INVENTORY_INTERVAL_SEC * 1000 };

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** One account: at most one report in flight, and one more queued behind it if it changed meanwhile. */
class AccountReporter {
  #timer: unknown = null;
  #dueAt = 0;
  #inflight: Promise<void> | null = null;
  #again = false;
  #failing = false;
  #failures = 0;
  #stopped = false;

  readonly account: string;
  private readonly provider: Provider;
  private readonly deps: Required<InventoryDeps>;
  private readonly options: InventoryOptions;

  constructor(account: string, provider: Provider, deps: Required<InventoryDeps>, options: InventoryOptions) {
    this.account = account;
    this.provider = provider;
    this.deps = deps;
    this.options = options;
  }

  /** Reports after `delayMs`, unless a report is already due sooner. */
  schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#inflight) {
      this.#again = true;
      return;
    }
    const dueAt = this.deps.timers.now() + delayMs;
    if (this.#timer !== null && this.#dueAt <= dueAt) return;
    this.#clear();
    this.#dueAt = dueAt;
    this.#timer = this.deps.timers.setTimeout(() => {
      this.#timer = null;
      this.#inflight = this.#report().finally(() => {
        this.#inflight = null;
        // Changed while the report was out: report again soon. After a failure, retry with backoff
        // (not the full interval), so the edge sees the account soon after it is back.
        this.schedule(this.#again ? this.options.debounceMs : this.#failing ? Math.min(this.options.intervalMs, retryDelayMs(this.#failures++)) : this.options.intervalMs);
        this.#again = false;
      });
    }, delayMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clear();
    await this.#inflight;
  }

  #clear(): void {
    if (this.#timer !== null) this.deps.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #report(): Promise<void> {
    try {
      const parsed = inventoryReport.safeParse(await this.provider.inventory(this.account));
      if (!parsed.success) throw new Error(`the ${this.provider.type} provider's inventory is malformed (${firstIssue(parsed.error).message})`);
      await this.deps.send(parsed.data);
      if (this.#failing) this.deps.log(`inventory of account ${this.account} reported again`);
      this.#failing = false;
      this.#failures = 0;
    } catch (err) {
      // Said once per streak of failures: the interval retries quietly.
      if (!this.#failing) this.deps.log(`cannot report the inventory of account ${this.account} (${(err as Error).message}); retrying with backoff and on change`);
      this.#failing = true;
    }
  }
}

export interface InventoryReporter {
  /** Stops the timers and waits for reports in flight. */
  stop(): Promise<void>;
}

/**
 * Reports every account now, on each provider change (debounced), and at the interval.
 * `accounts` maps an account name to the provider serving it.
 */
export function startInventoryReporter(accounts: ReadonlyMap<string, Provider>, deps: InventoryDeps, options: Partial<InventoryOptions> = {}): InventoryReporter {
  const opts = { ...DEFAULT_INVENTORY_OPTIONS, ...options };
  const full: Required<InventoryDeps> = { timers: realTimers, ...deps };
  const reporters = [...accounts].map(([account, provider]) => new AccountReporter(account, provider, full, opts));
  for (const provider of new Set(accounts.values())) {
    const mine = reporters.filter((r) => accounts.get(r.account) === provider);
    provider.onChange(() => {
      for (const r of mine) r.schedule(opts.debounceMs);
    });
  }
  for (const r of reporters) r.schedule(0);
  return { stop: async () => void (await Promise.all(reporters.map((r) => r.stop()))) };
}
