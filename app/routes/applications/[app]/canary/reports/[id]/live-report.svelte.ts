import { untrack } from 'svelte';
import { messageOf } from '$lib/api.ts';
import { isLive, pickInterval } from '$lib/canary/report.ts';
import { fetchInterval, fetchReport } from '$lib/canary/reports-api.ts';
import { SeriesCache, seriesKey } from '$lib/canary/series-cache.ts';
import type { CanaryIntervalSummary, CanaryReport, CollectedMetrics } from '$lib/canary/types.ts';
import { pollWhile } from '$lib/poll.ts';

const POLL_MS = 3000;

/**
 * One canary report as its page shows it: the summary (every interval's verdict, no series),
 * asked for again every few seconds while the canary runs, and the series of the one interval
 * shown, fetched when it is first shown.
 */
export class LiveReport {
  #report = $state.raw<CanaryReport>(undefined as unknown as CanaryReport);
  #fetchedAt = $state(Date.now());
  /** The interval the user picked; null follows the newest as intervals arrive. */
  #chosen = $state<number | null>(null);
  /** The series last loaded, with the key of the interval they belong to. */
  #loaded = $state.raw<{ key: string; series: CollectedMetrics } | null>(null);
  error = $state<string | null>(null);
  seriesError = $state<string | null>(null);
  readonly #cache: SeriesCache;

  /** The interval shown: the one picked, else the newest. */
  readonly interval = $derived<CanaryIntervalSummary | null>(pickInterval(this.#report.intervals, this.#chosen));

  constructor(initial: CanaryReport) {
    this.#report = initial;
    this.#cache = new SeriesCache((index) => fetchInterval(initial.application, initial.id, index));
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
  /** The shown interval's series, null while they load (or failed to). */
  get series(): CollectedMetrics | null {
    const i = this.interval;
    return i && this.#loaded?.key === seriesKey(i) ? this.#loaded.series : null;
  }

  /** Shows interval `index`, fetching its series unless they were fetched before. */
  select(index: number): void {
    this.#chosen = index;
    void this.loadSeries();
  }

  /** Takes the newest summary in; a new newest interval, when followed, gets its series fetched. */
  async refresh(): Promise<void> {
    try {
      this.#report = await fetchReport(this.#report.application, this.#report.id);
      this.#fetchedAt = Date.now();
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
      return;
    }
    await this.loadSeries();
  }

  /** Fetches the shown interval's series (from the cache when seen before) unless they are shown already. */
  async loadSeries(): Promise<void> {
    const shown = this.interval;
    if (!shown || this.series) return;
    const key = seriesKey(shown);
    this.seriesError = null;
    const stillShown = () => this.interval !== null && seriesKey(this.interval) === key;
    try {
      const series = await this.#cache.get(shown);
      // Another interval may have been picked meanwhile: only the shown one's series land.
      if (!stillShown()) return;
      this.#loaded = { key, series };
      this.seriesError = null;
    } catch (err) {
      if (stillShown()) this.seriesError = messageOf(err);
    }
  }

  /** Loads the shown interval's series, then refreshes until the canary ends; the returned function stops it. */
  watch(): () => void {
    // Run from an effect: what loading reads must not restart the watch whenever it changes.
    untrack(() => void this.loadSeries());
    return pollWhile(() => this.live, () => this.refresh(), { everyMs: POLL_MS });
  }
}
