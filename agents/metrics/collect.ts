/**
 * Runs a `collectMetrics` task: for each metric of the canary config, the control's and the
 * experiment's series over their own windows, from Prometheus or from the agent's own scrapes.
 */
import type { CollectedMetrics, MetricQuery, MetricSeries } from '../../contract/canary.ts';
import type { OperationPayload } from '../../contract/operations.ts';
import { builtinSeries, metricNamesOf, type BuiltinQuery, type SeriesWindow } from './builtin.ts';
import type { HttpGet } from './http.ts';
import { prometheusSeries } from './prometheus.ts';
import type { ScrapedInstance } from './samples.ts';
import type { ScrapeRegistration, ScrapeTarget } from './scraper.ts';

export type CollectPayload = OperationPayload<'collectMetrics'>;
type Scope = CollectPayload['control'];

/** What collecting reads from the rest of the agent. */
export interface CollectDeps {
  get: HttpGet;
  /** The agent's `--prometheus-url`, used when the task names none. */
  prometheusUrl?: string;
  /** A scraped group's samples in [fromMs, toMs]; undefined when this agent does not scrape it. */
  scraped: (target: ScrapeTarget, fromMs: number, toMs: number, names: ReadonlySet<string>) => ScrapedInstance[] | undefined;
  registrationOf: (target: ScrapeTarget) => ScrapeRegistration | undefined;
  log: (line: string) => void;
}

/** Prometheus queries in flight at once for one task. */
const CONCURRENT_QUERIES = 4;

/** Every metric's control and experiment series; the first failing metric fails the task, naming it. */
export async function collectMetrics(payload: CollectPayload, deps: CollectDeps): Promise<CollectedMetrics> {
  const source = payload.source;
  const read = source.type === 'prometheus' ? prometheusReader(source.url ?? deps.prometheusUrl, deps) : builtinReader(payload, deps);
  const mismatch = payload.metrics.find((m) => m.query.type !== source.type);
  if (mismatch) throw new Error(`metric "${mismatch.name}" has a ${mismatch.query.type} query, but this canary reads its metrics from ${source.type}`);
  const jobs = payload.metrics.flatMap((metric) => (['control', 'experiment'] as const).map((role) => ({ metric, role })));
  const results = new Map<string, MetricSeries>();
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < jobs.length && !failed) {
      const { metric, role } = jobs[next++]!;
      try {
        results.set(`${role}/${metric.name}`, await read(metric.name, metric.query, payload[role], payload.stepSec));
      } catch (err) {
        failed = true;
        const message = (err as Error).message;
        throw new Error(message.startsWith('metric "') ? message : `metric "${metric.name}" (${role} ${payload[role].scope}): ${message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_QUERIES, jobs.length) }, worker));
  deps.log(`collected ${payload.metrics.length} metric(s) from ${source.type} for ${payload.control.scope} (control) and ${payload.experiment.scope} (experiment)`);
  return Object.fromEntries(payload.metrics.map((m) => [m.name, { control: results.get(`control/${m.name}`)!, experiment: results.get(`experiment/${m.name}`)! }]));
}

type Reader = (metric: string, query: MetricQuery, scope: Scope, stepSec: number) => Promise<MetricSeries>;
const windowOf = (scope: Scope, stepSec: number): SeriesWindow => ({ startMs: scope.startMs, endMs: scope.endMs, stepSec });

function prometheusReader(url: string | undefined, deps: CollectDeps): Reader {
  if (!url) throw new Error('the canary reads metrics from Prometheus, but the task names no URL and this agent has no --prometheus-url');
  return (metric, query, scope, stepSec) =>
    prometheusSeries(deps.get, url, metric, query.type === 'prometheus' ? query.query : '', { scope: scope.scope, location: scope.location }, windowOf(scope, stepSec));
}

function builtinReader(payload: CollectPayload, deps: CollectDeps): Reader {
  const warned = new Set<string>();
  return async (metric, query, scope, stepSec) => {
    const target = { account: payload.account, location: scope.location, serverGroupName: scope.scope };
    const registration = deps.registrationOf(target);
    if (!registration) {
      throw new Error(`metric "${metric}": this agent does not scrape server group ${scope.scope} in ${payload.account}/${scope.location} (it must be deployed with metrics: {stepSec})`);
    }
    if (registration.stepSec > stepSec && !warned.has(scope.scope)) {
      warned.add(scope.scope);
      deps.log(`${scope.scope} is scraped every ${registration.stepSec}s, more slowly than the canary's ${stepSec}s step: some steps will have no value`);
    }
    const builtin = query as BuiltinQuery;
    // Counters need the scrape before the first step's start; two scrape intervals of margin cover it.
    const marginMs = 2 * Math.max(stepSec, registration.stepSec) * 1000;
    const instances = deps.scraped(target, scope.startMs - marginMs, scope.endMs, metricNamesOf(builtin)) ?? [];
    return builtinSeries(instances, builtin, windowOf(scope, stepSec));
  };
}
