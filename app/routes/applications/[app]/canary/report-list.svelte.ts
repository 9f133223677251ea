import { messageOf } from '$lib/api.ts';
import { isLive } from '$lib/canary/report.ts';
import { fetchReports } from '$lib/canary/reports-api.ts';
import type { CanaryReportSummary } from '$lib/canary/types.ts';
import { pollWhile } from '$lib/poll.ts';

const LIVE_POLL_MS = 5000;

/**
 * The application's canary reports as the tab lists them: the pages loaded so far, newest first,
 * with the first page refreshed while any shown report is still running.
 */
export class ReportList {
  #items = $state.raw<CanaryReportSummary[]>([]);
  #nextCursor = $state<string | null>(null);
  #loadingMore = $state(false);
  /** How many pages are shown: a refresh replaces only the first. */
  #pages = 1;
  error = $state<string | null>(null);
  readonly #app: string;

  readonly anyLive = $derived(this.#items.some((r) => isLive(r.status)));

  constructor(app: string, first: { items: CanaryReportSummary[]; nextCursor: string | null; error: string | null }) {
    this.#app = app;
    this.#items = first.items;
    this.#nextCursor = first.nextCursor;
    this.error = first.error;
  }

  get items(): CanaryReportSummary[] {
    return this.#items;
  }
  get hasMore(): boolean {
    return this.#nextCursor !== null;
  }
  get loadingMore(): boolean {
    return this.#loadingMore;
  }

  /** Appends the next page. */
  async loadMore(): Promise<void> {
    if (!this.#nextCursor || this.#loadingMore) return;
    this.#loadingMore = true;
    try {
      const page = await fetchReports(this.#app, { cursor: this.#nextCursor });
      const seen = new Set(this.#items.map((r) => r.id));
      this.#items = [...this.#items, ...page.items.filter((r) => !seen.has(r.id))];
      this.#nextCursor = page.nextCursor;
      this.#pages++;
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.#loadingMore = false;
    }
  }

  /** Takes the newest page in; pages loaded beyond it stay as they are. */
  async refresh(): Promise<void> {
    try {
      const page = await fetchReports(this.#app);
      if (this.#pages <= 1) {
        this.#items = page.items;
        this.#nextCursor = page.nextCursor;
      } else {
        const fresh = new Set(page.items.map((r) => r.id));
        this.#items = [...page.items, ...this.#items.filter((r) => !fresh.has(r.id))];
      }
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  /** Refreshes every few seconds while a shown report runs; the returned function stops it. */
  poll(): () => void {
    return pollWhile(() => this.anyLive, () => this.refresh(), { everyMs: LIVE_POLL_MS });
  }
}
