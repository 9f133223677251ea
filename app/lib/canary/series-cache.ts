/**
 * The series of a report's intervals as the report page fetches them: only the interval shown,
 * each once however often it is picked again, and only the few seen last kept (an interval's
 * series can be ~700 KB).
 */
import type { CollectedMetrics } from '../../../contract/canary.ts';
import type { CanaryInterval, CanaryIntervalSummary } from '../../../contract/canary-reports.ts';

/** Which judgement of an interval a cache entry holds: a re-judged interval (new `judgedAt`) is fetched anew. */
export const seriesKey = (i: Pick<CanaryIntervalSummary, 'index' | 'judgedAt'>): string => `${i.index}@${i.judgedAt}`;

export class SeriesCache {
  readonly #fetch: (index: number) => Promise<Pick<CanaryInterval, 'series'>>;
  readonly #keep: number;
  /** In least- to most-recently used order (a Map keeps insertion order). */
  readonly #entries = new Map<string, Promise<CollectedMetrics>>();

  constructor(fetch: (index: number) => Promise<Pick<CanaryInterval, 'series'>>, keep = 8) {
    this.#fetch = fetch;
    this.#keep = keep;
  }

  /** The interval's series, cached or fetched (one request for callers asking at once); a failed fetch is forgotten so the next call tries again. */
  get(interval: Pick<CanaryIntervalSummary, 'index' | 'judgedAt'>): Promise<CollectedMetrics> {
    const key = seriesKey(interval);
    const cached = this.#entries.get(key);
    if (cached) {
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached;
    }
    const fetched = this.#fetch(interval.index).then((i) => i.series);
    this.#entries.set(key, fetched);
    fetched.catch(() => {
      if (this.#entries.get(key) === fetched) this.#entries.delete(key);
    });
    for (const old of this.#entries.keys()) {
      if (this.#entries.size <= this.#keep) break;
      this.#entries.delete(old);
    }
    return fetched;
  }

  /** How many intervals' series are held (for tests and the curious). */
  get size(): number {
    return this.#entries.size;
  }
}
