/**
 * The `prometheus` metric source: the canary config's PromQL, with the scope put in, run with
 * `query_range` at the step against a Prometheus the agent can reach; the answer becomes one
 * value per step (several series summed, as Kayenta does).
 */
import { z } from 'zod';
import type { MetricSeries } from '../../contract/canary.ts';
import { stepPoints, type SeriesWindow } from './builtin.ts';
import type { HttpGet } from './http.ts';
import { parsePromValue } from './prom-text.ts';
import { redactUrl } from './urls.ts';

export interface PrometheusScope {
  /** The server group name, for `${scope}`. */
  scope: string;
  location: string;
}

/** Prometheus refuses ranges of more than 11,000 points per series; longer windows go in parts. */
const POINTS_PER_QUERY = 10_000;
const QUERY_TIMEOUT_MS = 30_000;
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** Of an answer that is not Prometheus' JSON, enough to recognise it (a proxy's error page) and no more. */
const ECHOED_BODY_CHARS = 100;

const sample = z.tuple([z.number(), z.string()]);
const queryRangeAnswer = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.object({ resultType: z.literal('matrix'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(sample) })) }) }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);
export type MatrixResult = Extract<z.infer<typeof queryRangeAnswer>, { status: 'success' }>['data']['result'];

/**
 * The query for one scope: `${scope}` and `${location}` replaced, escaped for a PromQL string
 * (they sit inside label matchers such as `server_group="${scope}"`).
 */
export function queryFor(template: string, scope: PrometheusScope): string {
  if (!template.includes('${scope}')) {
    // Without it control and experiment would read the same numbers and always look alike.
    throw new Error('the query does not mention ${scope}, so it cannot tell the control from the experiment');
  }
  const quote = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return template.replaceAll('${scope}', quote(scope.scope)).replaceAll('${location}', quote(scope.location));
}

/** Maps a `query_range` matrix onto the window's steps: series summed per step; a step no series has, or a non-finite one, is null. */
export function seriesFromMatrix(result: MatrixResult, window: SeriesWindow): MetricSeries {
  const stepMs = window.stepSec * 1000;
  const values: (number | null)[] = stepPoints(window).map(() => null);
  const broken = new Set<number>();
  for (const series of result) {
    for (const [seconds, raw] of series.values) {
      const k = Math.round((seconds * 1000 - window.startMs) / stepMs);
      if (k < 0 || k >= values.length) continue;
      let value: number;
      try {
        value = parsePromValue(raw);
      } catch {
        value = NaN;
      }
      if (!Number.isFinite(value)) broken.add(k);
      else values[k] = (values[k] ?? 0) + value;
    }
  }
  // As PromQL's sum: one NaN among the summed series makes the step NaN.
  for (const k of broken) values[k] = null;
  return { startMs: window.startMs, stepSec: window.stepSec, values };
}

/** Runs the metric's query for one scope over its window; errors name the metric and the query. */
export async function prometheusSeries(get: HttpGet, baseUrl: string, metric: string, template: string, scope: PrometheusScope, window: SeriesWindow): Promise<MetricSeries> {
  let query: string;
  try {
    query = queryFor(template, scope);
  } catch (err) {
    throw new Error(`metric "${metric}": ${(err as Error).message}`);
  }
  const stepMs = window.stepSec * 1000;
  const count = stepPoints(window).length;
  const result: MatrixResult = [];
  for (let first = 0; first < count; first += POINTS_PER_QUERY) {
    const startMs = window.startMs + first * stepMs;
    const endMs = window.startMs + (Math.min(count, first + POINTS_PER_QUERY) - 1) * stepMs;
    result.push(...(await queryRange(get, baseUrl, metric, query, startMs, endMs, window.stepSec)));
  }
  return seriesFromMatrix(result, window);
}

async function queryRange(get: HttpGet, baseUrl: string, metric: string, query: string, startMs: number, endMs: number, stepSec: number): Promise<MatrixResult> {
  const url = new URL('api/v1/query_range', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.search = new URLSearchParams({ query, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepSec) }).toString();
  const what = `metric "${metric}": Prometheus at ${redactUrl(baseUrl)}`;
  let answer;
  try {
    answer = await get(url.toString(), { timeoutMs: QUERY_TIMEOUT_MS, maxBytes: MAX_ANSWER_BYTES, accept: 'application/json' });
  } catch (err) {
    throw new Error(`${what} cannot be reached (${(err as Error).message}) for query ${query}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    throw new Error(`${what} answered HTTP ${answer.status} with no JSON (${echo(answer.body)}) for query ${query}`);
  }
  const parsed = queryRangeAnswer.safeParse(json);
  if (!parsed.success) throw new Error(`${what} answered HTTP ${answer.status} with an unexpected shape for query ${query}`);
  if (parsed.data.status === 'error') {
    throw new Error(`${what} refused query ${query}: ${[parsed.data.errorType, parsed.data.error].filter(Boolean).join(': ') || `HTTP ${answer.status}`}`);
  }
  return parsed.data.data.result;
}

/** The start of a body for an error message, on one line. */
function echo(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  return text.length > ECHOED_BODY_CHARS ? `${text.slice(0, ECHOED_BODY_CHARS)}…` : text;
}
