/**
 * One instance's scrapes, kept in memory for the `builtin` metric source: the scrape times and,
 * per series, the value at each scrape (NaN where the series was absent). Bounded by age and by
 * count, and by the number of series, so a long-lived or chatty instance cannot grow the agent.
 */
import type { PromSample } from './prom-text.ts';

/** What the builtin computations read of one instance: values aligned with `timesMs`, oldest first. */
export interface ScrapedInstance {
  timesMs: readonly number[];
  series: readonly ScrapedSeries[];
}

export interface ScrapedSeries {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** One per scrape; NaN where this series was not in the scrape. */
  values: readonly number[];
}

export interface SampleLimits {
  /** Scrapes older than this are dropped. */
  retentionMs: number;
  /** Scrapes kept at most, whatever their age. */
  maxScrapes: number;
  /** Series kept per instance; later new ones are ignored. */
  maxSeries: number;
}

/** The retention canary windows may count on (what errors advise for `lookbackMins`). */
export const NOMINAL_RETENTION_MIN = 120;

/**
 * Two hours at one scrape a second, and five minutes more: a 2 h window is collected a little
 * after it ends, and its counters need a scrape from before its first step.
 */
export const DEFAULT_SAMPLE_LIMITS: SampleLimits = { retentionMs: (NOMINAL_RETENTION_MIN + 5) * 60_000, maxScrapes: (NOMINAL_RETENTION_MIN + 5) * 60, maxSeries: 500 };

interface Series {
  name: string;
  labels: Record<string, string>;
  values: number[];
}

export class InstanceSamples {
  readonly #limits: SampleLimits;
  // Plain arrays of numbers stay packed doubles in V8 (8 bytes a value) and grow only as needed.
  readonly #times: number[] = [];
  readonly #series = new Map<string, Series>();
  /** Series turned away since the last call to {@link takeDropped}. */
  #dropped = 0;

  constructor(limits: SampleLimits = DEFAULT_SAMPLE_LIMITS) {
    this.#limits = limits;
  }

  /** Adds one scrape taken at `atMs` (scrapes come in time order). */
  record(atMs: number, samples: readonly PromSample[]): void {
    const slot = this.#times.length;
    this.#times.push(atMs);
    for (const sample of samples) {
      const key = seriesKey(sample.name, sample.labels);
      let series = this.#series.get(key);
      if (!series) {
        if (this.#series.size >= this.#limits.maxSeries) {
          this.#dropped++;
          continue;
        }
        series = { name: sample.name, labels: sample.labels, values: new Array<number>(slot).fill(NaN) };
        this.#series.set(key, series);
      }
      // A series given twice in one scrape: the first wins, as in Prometheus (which refuses the duplicate).
      if (series.values.length === slot) series.values.push(sample.value);
    }
    for (const series of this.#series.values()) if (series.values.length === slot) series.values.push(NaN);
    this.#trim(atMs);
  }

  /** The scrapes taken in [fromMs, toMs], as the builtin computations read them; only series named in `names` when given. */
  read(fromMs: number, toMs: number, names?: ReadonlySet<string>): ScrapedInstance {
    const from = this.#times.findIndex((t) => t >= fromMs);
    if (from < 0) return { timesMs: [], series: [] };
    let to = from;
    while (to < this.#times.length && this.#times[to]! <= toMs) to++;
    return {
      timesMs: this.#times.slice(from, to),
      series: [...this.#series.values()].filter((s) => !names || names.has(s.name)).map((s) => ({ name: s.name, labels: s.labels, values: s.values.slice(from, to) })),
    };
  }

  /** When the newest scrape was taken; undefined before the first. */
  get lastAtMs(): number | undefined {
    return this.#times.at(-1);
  }

  /** When the oldest scrape still held was taken; undefined when none is. */
  get firstAtMs(): number | undefined {
    return this.#times[0];
  }

  /** Values held: one per series per scrape (absent ones too, as NaN). */
  get points(): number {
    return this.#times.length * this.#series.size;
  }

  get seriesCount(): number {
    return this.#series.size;
  }

  /** How many scrapes held were taken before `atMs`. */
  scrapesBefore(atMs: number): number {
    let low = 0;
    let high = this.#times.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#times[mid]! < atMs) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Forgets the `count` oldest scrapes (all of them when there are fewer). */
  dropOldest(count: number): void {
    this.#drop(Math.min(count, this.#times.length));
  }

  get scrapes(): number {
    return this.#times.length;
  }

  /** How many new series were turned away for the series limit since the last call. */
  takeDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }

  #trim(nowMs: number): void {
    let drop = Math.max(0, this.#times.length - this.#limits.maxScrapes);
    while (drop < this.#times.length && this.#times[drop]! < nowMs - this.#limits.retentionMs) drop++;
    // Splicing on every scrape would move the arrays every time; dropping a sixteenth at once moves
    // them rarely, for a bound a sixteenth looser.
    if (drop === 0 || drop < Math.floor(this.#times.length / 16)) return;
    this.#drop(drop);
  }

  #drop(drop: number): void {
    this.#times.splice(0, drop);
    for (const [key, series] of this.#series) {
      series.values.splice(0, drop);
      // A series gone for the whole retention (a label set that churned away) is forgotten.
      if (series.values.every(Number.isNaN)) this.#series.delete(key);
    }
  }
}

/** `name{a="1",b="2"}` with labels sorted: one key per series whatever the exporter's label order. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length ? `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}` : name;
}

/**
 * Keeps the values held by all `stores` within `maxPoints` by forgetting the oldest scrapes first,
 * whichever instance took them (the newest data is what canary windows read): every store drops
 * its scrapes from before one cutoff time. Once over the cap it goes a sixteenth under it, so a
 * full agent forgets a batch now and then rather than moving its arrays on every scrape. Answers
 * how many values were forgotten.
 */
export function enforcePointCap(stores: readonly InstanceSamples[], maxPoints: number): number {
  const total = stores.reduce((sum, s) => sum + s.points, 0);
  if (total <= maxPoints) return 0;
  const mustFree = total - Math.floor((maxPoints * 15) / 16);
  const freedBefore = (cutoffMs: number) => stores.reduce((sum, s) => sum + s.scrapesBefore(cutoffMs) * s.seriesCount, 0);
  // The earliest cutoff (to the millisecond) that frees enough: a binary search over time.
  const held = stores.filter((s) => s.scrapes > 0);
  let early = Math.min(...held.map((s) => s.firstAtMs!));
  let late = Math.max(...held.map((s) => s.lastAtMs!)) + 1;
  while (late - early > 1) {
    const mid = Math.floor((early + late) / 2);
    if (freedBefore(mid) >= mustFree) late = mid;
    else early = mid;
  }
  const cutoffMs = freedBefore(early) >= mustFree ? early : late;
  for (const s of stores) s.dropOldest(s.scrapesBefore(cutoffMs));
  return total - stores.reduce((sum, s) => sum + s.points, 0);
}
