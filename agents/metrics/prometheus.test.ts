import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpGet } from './http.ts';
import { prometheusSeries, queryFor, seriesFromMatrix } from './prometheus.ts';

/** A stand-in Prometheus HTTP API: records queries, answers what the test sets. */
let server: Server;
let url = '';
let answer: (params: URLSearchParams) => { status: number; body: string };
const seen: URLSearchParams[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const params = new URL(req.url!, 'http://x').searchParams;
    seen.push(params);
    const { status, body } = answer(params);
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => void seen.splice(0));

/** A port nothing listens on (one the OS just handed out and took back). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const matrix = (...series: [number, string][][]) =>
  JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: series.map((values, i) => ({ metric: { instance: `i${i}` }, values })) } });
const window = { startMs: 1_700_000_000_000, endMs: 1_700_000_040_000, stepSec: 10 };
const t = (k: number) => (window.startMs + k * 10_000) / 1000;
const scope = { scope: 'hello-canary-v001', location: 'local' };
const QUERY = 'sum(rate(http_request_errors_total{server_group="${scope}",location="${location}"}[10s]))';

describe('prometheusSeries', () => {
  it('sends query_range with the scope put in, start and end in seconds, the step; sums several series per step', async () => {
    answer = () => ({ status: 200, body: matrix([[t(0), '1'], [t(1), '2'], [t(3), '4']], [[t(1), '0.5'], [t(2), '3']]) });
    const series = await prometheusSeries(httpGet, url, 'errors', QUERY, scope, window);
    expect(series).toEqual({ startMs: window.startMs, stepSec: 10, values: [1, 2.5, 3, 4, null] });
    expect(Object.fromEntries(seen[0]!)).toEqual({
      query: 'sum(rate(http_request_errors_total{server_group="hello-canary-v001",location="local"}[10s]))',
      start: '1700000000',
      end: '1700000040',
      step: '10',
    });
  });

  it('answers all nulls for an empty result, and null for NaN or ±Inf', async () => {
    answer = () => ({ status: 200, body: matrix() });
    expect((await prometheusSeries(httpGet, url, 'errors', QUERY, scope, window)).values).toEqual([null, null, null, null, null]);
    answer = () => ({ status: 200, body: matrix([[t(0), 'NaN'], [t(1), '+Inf'], [t(2), '-Inf'], [t(3), '7']]) });
    expect((await prometheusSeries(httpGet, url, 'errors', QUERY, scope, window)).values).toEqual([null, null, null, 7, null]);
  });

  it('asks in parts of at most 10,000 steps (Prometheus refuses more than 11,000)', async () => {
    answer = (p) => ({ status: 200, body: matrix([[Number(p.get('start')), '1'], [Number(p.get('end')), '2']]) });
    const long = { startMs: 0, endMs: 24_999_000, stepSec: 1 };
    const series = await prometheusSeries(httpGet, url, 'errors', QUERY, scope, long);
    expect(seen.map((p) => [p.get('start'), p.get('end')])).toEqual([['0', '9999'], ['10000', '19999'], ['20000', '24999']]);
    expect(series.values).toHaveLength(25_000);
    expect([series.values[0], series.values[9_999], series.values[10_000], series.values[24_999], series.values[1]]).toEqual([1, 2, 1, 2, null]);
  });

  it('names the metric, the query and what Prometheus said when it refuses', async () => {
    answer = () => ({ status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5: unexpected "}"' }) });
    await expect(prometheusSeries(httpGet, url, 'errors', 'rate(x{a="${scope}"}}[1m])', scope, window)).rejects.toThrow(
      `metric "errors": Prometheus at ${url} refused query rate(x{a="hello-canary-v001"}}[1m]): bad_data: parse error at char 5: unexpected "}"`,
    );
  });

  it('says so when the answer is not Prometheus JSON, or nobody answers', async () => {
    answer = () => ({ status: 502, body: 'Bad Gateway' });
    await expect(prometheusSeries(httpGet, url, 'errors', QUERY, scope, window)).rejects.toThrow(/metric "errors": Prometheus at .* answered HTTP 502 with no JSON \(Bad Gateway\) for query sum\(rate/);
    // Of anything else (an internal page, say), only its first 100 characters, on one line.
    answer = () => ({ status: 200, body: `<html>\n<body>${'x'.repeat(300)}SECRET</body></html>` });
    const echoed = `<html> <body>${'x'.repeat(100 - '<html> <body>'.length)}…`;
    await expect(prometheusSeries(httpGet, url, 'errors', QUERY, scope, window)).rejects.toThrow(`metric "errors": Prometheus at ${url} answered HTTP 200 with no JSON (${echoed}) for query`);
    const closed = await closedPort();
    await expect(prometheusSeries(httpGet, `http://127.0.0.1:${closed}`, 'errors', QUERY, scope, window)).rejects.toThrow(
      new RegExp(`metric "errors": Prometheus at http://127.0.0.1:${closed} cannot be reached \\(.*ECONNREFUSED.*\\) for query`),
    );
  });

  it('refuses a query without ${scope}, which could not tell control from experiment', async () => {
    await expect(prometheusSeries(httpGet, url, 'errors', 'sum(rate(x[1m]))', scope, window)).rejects.toThrow(/metric "errors": the query does not mention \$\{scope\}/);
    expect(seen).toEqual([]);
  });
});

describe('queryFor', () => {
  it('escapes the scope for a PromQL string', () => {
    expect(queryFor('x{a="${scope}",b="${location}"}', { scope: 'we"ird\\', location: 'eu' })).toBe('x{a="we\\"ird\\\\",b="eu"}');
  });
});

describe('seriesFromMatrix', () => {
  it('ignores points outside the window and rounds timestamps to the nearest step', () => {
    const result = [{ metric: {}, values: [[t(-1), '9'], [t(1) + 0.001, '5'], [t(5), '9']] as [number, string][] }];
    expect(seriesFromMatrix(result, window).values).toEqual([null, 5, null, null, null]);
  });
});
