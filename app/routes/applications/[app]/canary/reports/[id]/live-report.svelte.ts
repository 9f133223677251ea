import { untrack } from 'svelte';
import { messageOf } from '$lib/api.ts';
import { isLive } from '$lib/canary/report.ts';
import { fetchReport } from '$lib/canary/reports-api.ts';
import type { CanaryReport } from '$lib/canary/types.ts';

const POLL_MS = 3000;

/** One canary report, asked for again every few seconds while its canary runs. */
export class LiveReport {
  #report = $state.raw<CanaryReport>(undefined as unknown as CanaryReport);
  #fetchedAt = $state(Date.now());
  error = $state<string | null>(null);

  constructor(initial: CanaryReport) {
    this.#report = initial;
  }

  get report(): CanaryReport {
    return this.#report;
  }
  get fetchedAt(): number {
    return this.#fetchedAt;
  }
  get live(): boolean {
    return isLive(this.#report.status);
  }

  async refresh(): Promise<void> {
    try {
      this.#report = await fetchReport(this.#report.application, this.#report.id);
      this.#fetchedAt = Date.now();
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  /** Polls until the report is no longer running or the returned function is called. */
  poll(): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const schedule = () => {
      clearTimeout(timer);
      if (!stopped && this.live) timer = setTimeout(tick, POLL_MS);
    };
    const tick = async () => {
      // A hidden tab skips the request but keeps the schedule, so it catches up when shown.
      if (!document.hidden) await this.refresh();
      schedule();
    };
    // Run from an effect: reading `live` here must not restart the polling on every refresh.
    untrack(schedule);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}
