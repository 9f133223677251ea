/**
 * Canary metrics in the agent: scraping the groups deployed with `metrics` (the `builtin` source),
 * collecting series for `collectMetrics` tasks, and the Prometheus `file_sd` file. Opened once by
 * `runAgent`; what runs in the background (scrape timers, the file writer) exists only when needed.
 */
import type { OperationPayload, ServerGroupRef } from '../../contract/operations.ts';
import type { Provider } from '../providers/provider.ts';
import { collectMetrics, type Collected } from './collect.ts';
import { httpGet, type HttpGet } from './http.ts';
import { Scraper } from './scraper.ts';
import { SdFileWriter } from './sd-file.ts';

export interface AgentMetricsOptions {
  /** Default Prometheus for `collectMetrics` tasks whose source names no URL. */
  prometheusUrl?: string;
  /** Other Prometheus base URLs a task may name (`--prometheus-allow`); any other is refused. */
  prometheusAllow?: readonly string[];
  /** Where to keep a Prometheus `file_sd_configs` file of every instance; none: not written. */
  sdFile?: string;
  /** Where scrape registrations are kept across restarts; none: lost on restart. */
  registrationsFile?: string;
}

export interface AgentMetricsDeps {
  log: (line: string) => void;
  now?: () => number;
  get?: HttpGet;
  /** Changes within this long go into one rewrite of the file_sd file; default 250 ms. */
  sdDebounceMs?: number;
}

/** What the task runner asks of the agent's metrics. */
export interface AgentMetrics {
  /** After a createServerGroup succeeded: scrape it if it asked for `metrics`. */
  created(op: OperationPayload<'createServerGroup'>): Promise<void>;
  /** After a destroyServerGroup: stop scraping it. */
  destroyed(ref: ServerGroupRef): Promise<void>;
  collect(payload: OperationPayload<'collectMetrics'>, log: (line: string) => void): Promise<Collected>;
  close(): Promise<void>;
}

/** Opens the agent's metrics over its providers (by account), resuming saved scrape registrations. */
export async function openAgentMetrics(providers: ReadonlyMap<string, Provider>, options: AgentMetricsOptions, deps: AgentMetricsDeps): Promise<AgentMetrics> {
  const get = deps.get ?? httpGet;
  const scraper = await Scraper.open({
    inventoryOf: (account) => providers.get(account)?.inventory(account),
    get,
    log: deps.log,
    now: deps.now ?? Date.now,
    ...(options.registrationsFile ? { registrationsFile: options.registrationsFile } : {}),
  });
  const sd = options.sdFile ? startSdFile(options.sdFile, providers, scraper, deps) : undefined;

  return {
    async created(op) {
      if (!op.metrics) return;
      await scraper.register({ account: op.account, location: op.location, serverGroupName: op.serverGroupName, path: op.metrics.path, stepSec: op.metrics.stepSec });
      sd?.changed();
    },
    async destroyed(ref) {
      await scraper.unregister(ref);
    },
    collect(payload, log) {
      return collectMetrics(payload, {
        get,
        ...(options.prometheusUrl ? { prometheusUrl: options.prometheusUrl } : {}),
        ...(options.prometheusAllow ? { prometheusAllow: options.prometheusAllow } : {}),
        scraped: (target, fromMs, toMs, names) => scraper.read(target, fromMs, toMs, names),
        registrationOf: (target) => scraper.registrationOf(target),
        log,
      });
    },
    async close() {
      await sd?.close();
      await scraper.close();
    },
  };
}

/** Keeps the file_sd file current: now, and shortly after each change a provider reports. */
function startSdFile(file: string, providers: ReadonlyMap<string, Provider>, scraper: Scraper, deps: AgentMetricsDeps) {
  const writer = new SdFileWriter(
    file,
    () => Promise.all([...providers].map(([account, provider]) => provider.inventory(account))),
    (account, location, serverGroupName) => scraper.registrationOf({ account, location, serverGroupName })?.path,
    deps.log,
  );
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  const changed = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void writer.update();
    }, deps.sdDebounceMs ?? 250);
  };
  for (const provider of new Set(providers.values())) provider.onChange(changed);
  void writer.update();
  return {
    changed,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await writer.update();
    },
  };
}
