/**
 * Scrapes the instances of registered server groups every `stepSec` and keeps their samples in
 * memory, for the `builtin` metric source. A group is registered when a `createServerGroup` with
 * `metrics` succeeds and dropped when it is destroyed (or found gone). Registrations are kept in a
 * small JSON file, so a restarted agent goes on scraping; the samples themselves are not, so a
 * restart leaves a gap (collecting notices it by the registration time). With nothing registered
 * there are no timers and no requests at all. Only samples builtin queries can read are kept, and
 * at most {@link DEFAULT_MAX_POINTS} values across every group, the oldest forgotten first.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { InventoryReport } from '../../contract/operations.ts';
import { writeAtomically } from './atomic-file.ts';
import type { HttpGet } from './http.ts';
import { usableByBuiltin } from './builtin.ts';
import { parsePromText } from './prom-text.ts';
import { redactUrl } from './urls.ts';
import { DEFAULT_SAMPLE_LIMITS, enforcePointCap, InstanceSamples, type SampleLimits, type ScrapedInstance } from './samples.ts';

export const scrapeRegistration = z.strictObject({
  account: z.string().min(1),
  location: z.string().min(1),
  serverGroupName: z.string().min(1),
  path: z.string(),
  stepSec: z.number().int().min(1),
  /**
   * When the group was first registered (epoch ms): samples before it cannot exist, while a later
   * first sample means they were lost. Absent in files written before it was kept.
   */
  registeredAtMs: z.number().int().optional(),
});
export type ScrapeRegistration = z.infer<typeof scrapeRegistration>;
export type ScrapeTarget = Pick<ScrapeRegistration, 'account' | 'location' | 'serverGroupName'>;

export interface ScraperDeps {
  /** The account's inventory from its provider; undefined when this agent has no provider for it. */
  inventoryOf: (account: string) => Promise<InventoryReport> | undefined;
  get: HttpGet;
  log: (line: string) => void;
  /** Epoch ms. */
  now: () => number;
  /** Where registrations are kept across restarts; without one they are lost on restart. */
  registrationsFile?: string;
  limits?: SampleLimits;
  /** Values held at most across every group; default {@link DEFAULT_MAX_POINTS}. */
  maxPoints?: number;
}

/** 2 M values: about 16 MB of doubles, whatever the number of groups and series. */
export const DEFAULT_MAX_POINTS = 2_000_000;

/** Larger exposition bodies are refused (a scrape of a well-behaved service is a few kB). */
const MAX_SCRAPE_BYTES = 4 * 1024 * 1024;
/** Prometheus' default scrape timeout; shorter when the step is. */
const MAX_SCRAPE_TIMEOUT_MS = 10_000;

interface Group {
  registration: ScrapeRegistration;
  timer: ReturnType<typeof setInterval>;
  /** Per instance id. */
  instances: Map<string, InstanceSamples>;
  inflight: Promise<void> | null;
  /** Instances whose scrapes fail now: said once per streak. */
  failing: Set<string>;
}

const keyOf = (t: ScrapeTarget) => `${t.account}/${t.location}/${t.serverGroupName}`;

export class Scraper {
  readonly #deps: ScraperDeps;
  readonly #limits: SampleLimits;
  readonly #groups = new Map<string, Group>();
  #capReached = false;
  #saving: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(deps: ScraperDeps) {
    this.#deps = deps;
    this.#limits = deps.limits ?? DEFAULT_SAMPLE_LIMITS;
  }

  /** A scraper going on with the registrations an earlier agent kept. */
  static async open(deps: ScraperDeps): Promise<Scraper> {
    const scraper = new Scraper(deps);
    for (const registration of await loadRegistrations(deps.registrationsFile, deps.log)) scraper.#start(registration);
    if (scraper.#groups.size) deps.log(`scraping metrics of ${scraper.#groups.size} server group(s) again`);
    return scraper;
  }

  /** Starts scraping a group (or changes its path and step); scrapes once at once. */
  async register(registration: ScrapeRegistration): Promise<void> {
    const existing = this.#groups.get(keyOf(registration));
    if (existing && existing.registration.path === registration.path && existing.registration.stepSec === registration.stepSec) return;
    if (existing) clearInterval(existing.timer);
    // A repeated registration (a redelivered task, a new path) keeps the group's first time: its samples stay.
    const registeredAtMs = existing?.registration.registeredAtMs ?? registration.registeredAtMs ?? this.#deps.now();
    this.#start({ ...registration, registeredAtMs }, existing?.instances);
    await this.#save();
  }

  /** Stops scraping a group and forgets its samples; unknown groups are fine. */
  async unregister(target: ScrapeTarget): Promise<void> {
    const group = this.#groups.get(keyOf(target));
    if (!group) return;
    clearInterval(group.timer);
    this.#groups.delete(keyOf(target));
    await this.#save();
  }

  /** The samples of a group's instances in [fromMs, toMs]; undefined when the group is not scraped. */
  read(target: ScrapeTarget, fromMs: number, toMs: number, names?: ReadonlySet<string>): ScrapedInstance[] | undefined {
    const group = this.#groups.get(keyOf(target));
    if (!group) return undefined;
    return [...group.instances.values()].map((s) => s.read(fromMs, toMs, names)).filter((s) => s.timesMs.length > 0);
  }

  /** The registration of a group, if it is scraped. */
  registrationOf(target: ScrapeTarget): ScrapeRegistration | undefined {
    return this.#groups.get(keyOf(target))?.registration;
  }

  /** Scrapes a group now (the timer does this every step); resolves when done. */
  async scrapeNow(target: ScrapeTarget): Promise<void> {
    const group = this.#groups.get(keyOf(target));
    if (group) await this.#tick(group);
  }

  /** Stops every timer and waits for scrapes in flight; the registrations stay saved. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const group of this.#groups.values()) clearInterval(group.timer);
    await Promise.all([...this.#groups.values()].map((g) => g.inflight));
    await this.#saving;
  }

  #start(registration: ScrapeRegistration, instances = new Map<string, InstanceSamples>()): void {
    if (this.#closed) return;
    const group: Group = { registration, instances, inflight: null, failing: new Set(), timer: undefined as never };
    group.timer = setInterval(() => void this.#tick(group), registration.stepSec * 1000);
    // The agent's own loops keep it alive; a forgotten scraper must not.
    group.timer.unref();
    this.#groups.set(keyOf(registration), group);
    void this.#tick(group);
  }

  #tick(group: Group): Promise<void> {
    // A scrape slower than the step: skip a beat rather than pile up.
    group.inflight ??= this.#scrape(group)
      .catch((err: unknown) => this.#deps.log(`metrics of ${group.registration.serverGroupName}: ${(err as Error).message}`))
      .finally(() => (group.inflight = null));
    return group.inflight;
  }

  async #scrape(group: Group): Promise<void> {
    const { account, location, serverGroupName, path: metricsPath, stepSec } = group.registration;
    const report = await this.#deps.inventoryOf(account);
    if (!report || this.#groups.get(keyOf(group.registration)) !== group) return;
    const snapshot = report.serverGroups.find((g) => g.name === serverGroupName && g.location === location);
    if (!snapshot) {
      this.#deps.log(`server group ${serverGroupName} (${account}/${location}) is gone; no longer scraping its metrics`);
      return this.unregister(group.registration);
    }
    const atMs = this.#deps.now();
    const timeoutMs = Math.min(MAX_SCRAPE_TIMEOUT_MS, stepSec * 1000);
    await Promise.all(
      snapshot.instances.map(async (instance) => {
        if (!instance.address) return;
        const url = new URL(metricsPath, instance.address).toString();
        try {
          const answer = await this.#deps.get(url, { timeoutMs, maxBytes: MAX_SCRAPE_BYTES, accept: 'text/plain;version=0.0.4' });
          if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
          const samples = parsePromText(answer.body, usableByBuiltin);
          let store = group.instances.get(instance.id);
          if (!store) group.instances.set(instance.id, (store = new InstanceSamples(this.#limits)));
          store.record(atMs, samples);
          const dropped = store.takeDropped();
          if (dropped) this.#deps.log(`metrics of ${instance.name}: ${dropped} new series ignored (over ${this.#limits.maxSeries} series)`);
          if (group.failing.delete(instance.id)) this.#deps.log(`metrics of ${instance.name}: scraping again`);
        } catch (err) {
          if (group.failing.has(instance.id)) return;
          group.failing.add(instance.id);
          this.#deps.log(`metrics of ${instance.name}: cannot scrape ${redactUrl(url)} (${(err as Error).message}); retrying every ${stepSec}s`);
        }
      }),
    );
    // Instances gone for longer than the retention have nothing left to give.
    for (const [id, store] of group.instances) if ((store.lastAtMs ?? 0) < atMs - this.#limits.retentionMs) group.instances.delete(id);
    this.#enforceCap();
  }

  /** Keeps the agent's samples under the cap, saying once that it started forgetting early ones. */
  #enforceCap(): void {
    const maxPoints = this.#deps.maxPoints ?? DEFAULT_MAX_POINTS;
    const stores = [...this.#groups.values()].flatMap((g) => [...g.instances.values()]);
    if (enforcePointCap(stores, maxPoints) === 0 || this.#capReached) return;
    this.#capReached = true;
    this.#deps.log(`metrics: the samples of all scraped groups reached ${maxPoints} values; forgetting the oldest first (builtin canary windows reaching back before them will fail)`);
  }

  /** Writes the registrations (one write at a time, by rename, so a crash never leaves half a file). */
  #save(): Promise<void> {
    const file = this.#deps.registrationsFile;
    if (!file) return Promise.resolve();
    const text = `${JSON.stringify([...this.#groups.values()].map((g) => g.registration), null, 2)}\n`;
    this.#saving = this.#saving.then(() => writeAtomically(file, text));
    return this.#saving;
  }
}

async function loadRegistrations(file: string | undefined, log: (line: string) => void): Promise<ScrapeRegistration[]> {
  if (!file) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = z.array(scrapeRegistration).safeParse(json);
  if (!parsed.success) {
    // Losing scrape registrations costs a canary its builtin data, not the agent its work.
    log(`ignoring ${file}: not a list of metric scrape registrations`);
    return [];
  }
  return parsed.data;
}
