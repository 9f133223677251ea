/**
 * Runs a `collectMetrics` task: for each metric of the canary config, the control's and the
 * experiment's series over their own windows, from Prometheus or from the agent's own scrapes,
 * with how much of each window had data.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CollectedMetrics, MetricQuery, MetricSeries } from '../../contract/canary.ts';
import type { OperationPayload } from '../../contract/operations.ts';
import { builtinSeries, metricNamesOf, type BuiltinQuery, type SeriesWindow } from './builtin.ts';
import { checkScrapeCoverage, scrapeCoverage, seriesCoverage, type Coverage } from './coverage.ts';
import type { HttpGet } from './http.ts';
import { prometheusSeries } from './prometheus.ts';
import type { ScrapedInstance } from './samples.ts';
import type { ScrapeRegistration, ScrapeTarget } from './scraper.ts';
import { prometheusUrlFor } from './urls.ts';

export type CollectPayload = OperationPayload<'collectMetrics'>;
type Scope = CollectPayload['control'];
type Role = 'control' | 'experiment';
const ROLES = ['control', 'experiment'] as const;

/** What collecting reads from the rest of the agent. */
export interface CollectDeps {
  get: HttpGet;
  /** The agent's `--prometheus-url`, used when the task names none. */
  prometheusUrl?: string;
  /** Other Prometheus base URLs a task may name (`--prometheus-allow`). */
  prometheusAllow?: readonly string[];
  /** A scraped group's samples in [fromMs, toMs]; undefined when this agent does not scrape it. */
  scraped: (target: ScrapeTarget, fromMs: number, toMs: number, names: ReadonlySet<string>) => ScrapedInstance[] | undefined;
  registrationOf: (target: ScrapeTarget) => ScrapeRegistration | undefined;
  log: (line: string) => void;
}

/** A task's answer: `details.metrics` and `details.coverage`. */
export interface Collected {
  metrics: CollectedMetrics;
  coverage: Coverage;
}

/** Prometheus queries in flight at once for one task. */
const CONCURRENT_QUERIES = 4;
const NO_NAMES: ReadonlySet<string> = new Set();

/** Every metric's control and experiment series; the first failing metric (or builtin scope) fails the task, naming it. */
export async function collectMetrics(payload: CollectPayload, deps: CollectDeps): Promise<Collected> {
  const source = payload.source;
  const mismatch = payload.metrics.find((m) => m.query.type !== source.type);
  if (mismatch) throw new Error(`metric "${mismatch.name}" has a ${mismatch.query.type} query, but this canary reads its metrics from ${source.type}`);
  const builtin = source.type === 'builtin' ? builtinScopes(payload, deps) : undefined;
  const read = builtin ? builtinReader(builtin, deps) : prometheusReader(prometheusUrlFor(source.type === 'prometheus' ? source.url : undefined, deps.prometheusUrl, deps.prometheusAllow), deps);
  const jobs = payload.metrics.flatMap((metric) => ROLES.map((role) => ({ metric, role })));
  const results = new Map<string, MetricSeries>();
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < jobs.length && !failed) {
      const { metric, role } = jobs[next++]!;
      try {
        results.set(`${role}/${metric.name}`, await read(metric.name, metric.query, role, payload[role], payload.stepSec));
      } catch (err) {
        failed = true;
        const message = (err as Error).message;
        throw new Error(message.startsWith('metric "') ? message : `metric "${metric.name}" (${role} ${payload[role].scope}): ${message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_QUERIES, jobs.length) }, worker));
  deps.log(`collected ${payload.metrics.length} metric(s) from ${source.type} for ${payload.control.scope} (control) and ${payload.experiment.scope} (experiment)`);
  const metrics: CollectedMetrics = Object.fromEntries(payload.metrics.map((m) => [m.name, { control: results.get(`control/${m.name}`)!, experiment: results.get(`experiment/${m.name}`)! }]));
  const coverageOf = (role: Role) =>
    builtin?.[role].coverage ?? seriesCoverage(payload[role].scope, windowOf(payload[role], payload.stepSec), payload.metrics.map((m) => metrics[m.name]![role]));
  return { metrics, coverage: { control: coverageOf('control'), experiment: coverageOf('experiment') } };
}

type Reader = (metric: string, query: MetricQuery, role: Role, scope: Scope, stepSec: number) => Promise<MetricSeries>;
const windowOf = (scope: Scope, stepSec: number): SeriesWindow => ({ startMs: scope.startMs, endMs: scope.endMs, stepSec });

function prometheusReader(url: string, deps: CollectDeps): Reader {
  return (metric, query, _role, scope, stepSec) =>
    prometheusSeries(deps.get, url, metric, query.type === 'prometheus' ? query.query : '', { scope: scope.scope, location: scope.location }, windowOf(scope, stepSec));
}

interface BuiltinScope {
  target: ScrapeTarget;
  registration: ScrapeRegistration;
  coverage: Coverage[Role];
}

/**
 * Each scope's scrape registration and coverage, checked before any metric is computed: a group
 * this agent does not scrape, or a window reaching back before the samples it holds, fails the task.
 */
function builtinScopes(payload: CollectPayload, deps: CollectDeps): Record<Role, BuiltinScope> {
  const scopeOf = (role: Role): BuiltinScope => {
    const scope = payload[role];
    const target = { account: payload.account, location: scope.location, serverGroupName: scope.scope };
    const registration = deps.registrationOf(target);
    if (!registration) {
      throw new Error(`${role} ${scope.scope}: this agent does not scrape server group ${scope.scope} in ${payload.account}/${scope.location} (it must be deployed with metrics: {stepSec})`);
    }
    if (registration.stepSec > payload.stepSec) {
      deps.log(`${scope.scope} is scraped every ${registration.stepSec}s, more slowly than the canary's ${payload.stepSec}s step: some steps will have no value`);
    }
    try {
      // Every scrape time held, not only the window's: the oldest tells a restart or the retention.
      const times = (deps.scraped(target, -Infinity, scope.endMs, NO_NAMES) ?? []).map((i) => i.timesMs);
      const coverage = scrapeCoverage(scope.scope, windowOf(scope, payload.stepSec), times);
      checkScrapeCoverage(coverage, registration);
      return { target, registration, coverage };
    } catch (err) {
      throw new Error(`${role} ${scope.scope}: ${(err as Error).message}`);
    }
  };
  return { control: scopeOf('control'), experiment: scopeOf('experiment') };
}

function builtinReader(scopes: Record<Role, BuiltinScope>, deps: CollectDeps): Reader {
  return async (_metric, query, role, scope, stepSec) => {
    const { target, registration } = scopes[role];
    const builtin = query as BuiltinQuery;
    // Each series is computed synchronously: between them, let heartbeats and scrapes run.
    await nextTurn();
    // Counters need the scrape before the first step's start; two scrape intervals of margin cover it.
    const marginMs = 2 * Math.max(stepSec, registration.stepSec) * 1000;
    const instances = deps.scraped(target, scope.startMs - marginMs, scope.endMs, metricNamesOf(builtin)) ?? [];
    return builtinSeries(instances, builtin, windowOf(scope, stepSec));
  };
}
