#!/usr/bin/env node
// A tiny service to deploy with Gennaker: answers who it is, reports health and Prometheus
// metrics, and can be told (by environment) to be slow, flaky, unhealthy or slow to start, so
// health waits, red/black switches and canary analysis have something real to act on.
// Plain JavaScript without dependencies: runs on Node 22+ from a bare checkout.
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';

const config = readConfig(process.env);
const instanceId = process.env.GENNAKER_INSTANCE || `pid-${process.pid}`;

/** Upper bounds of the latency histogram, in seconds (Prometheus' usual web buckets). */
const BUCKETS_SEC = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const metrics = {
  /** `${code} ${path}` → count */
  requests: new Map(),
  errors: 0,
  /** Cumulative counts per bucket, plus +Inf, sum and count. */
  durationBuckets: BUCKETS_SEC.map(() => 0),
  durationSumSec: 0,
  durationCount: 0,
};

/** Reads and checks the environment; exits with a message on a bad value. */
function readConfig(env) {
  const number = (name, fallback, min, max) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      process.stderr.write(`hello: ${name}=${raw} must be a number from ${min} to ${max}\n`);
      process.exit(2);
    }
    return value;
  };
  return {
    port: number('PORT', 8080, 0, 65535),
    version: env.VERSION || '1.0.0',
    errorRate: number('ERROR_RATE', 0, 0, 1),
    latencyMs: number('LATENCY_MS', 0, 0, 600_000),
    startupDelayMs: number('STARTUP_DELAY_MS', 0, 0, 600_000),
    healthy: env.HEALTHY !== 'false',
  };
}

/** Known paths keep their name in metrics; anything else is counted as "other" (bounded labels). */
function pathLabel(path) {
  return path === '/' || path === '/health' || path === '/metrics' ? path : 'other';
}

/**
 * Counts a request. Errors and latency cover the service's own traffic only: health probes and
 * scrapes come every second and would dilute error rates and latencies that analysis judges.
 */
function record(code, path, seconds) {
  const label = pathLabel(path);
  const key = `${code} ${label}`;
  metrics.requests.set(key, (metrics.requests.get(key) ?? 0) + 1);
  if (label === '/health' || label === '/metrics') return;
  if (code >= 500) metrics.errors++;
  BUCKETS_SEC.forEach((le, i) => {
    if (seconds <= le) metrics.durationBuckets[i]++;
  });
  metrics.durationSumSec += seconds;
  metrics.durationCount++;
}

/** The Prometheus text exposition format (version 0.0.4). */
function renderMetrics() {
  const lines = [
    '# HELP http_requests_total HTTP requests answered, by status code and path.',
    '# TYPE http_requests_total counter',
  ];
  for (const [key, count] of [...metrics.requests].sort()) {
    const [code, path] = key.split(' ');
    lines.push(`http_requests_total{code="${code}",path="${path}"} ${count}`);
  }
  lines.push(
    '# HELP http_request_errors_total Requests answered with a 5xx status (not counting /health and /metrics).',
    '# TYPE http_request_errors_total counter',
    `http_request_errors_total ${metrics.errors}`,
    '# HELP http_request_duration_seconds Time to answer a request (not counting /health and /metrics).',
    '# TYPE http_request_duration_seconds histogram',
  );
  BUCKETS_SEC.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${metrics.durationBuckets[i]}`));
  lines.push(
    `http_request_duration_seconds_bucket{le="+Inf"} ${metrics.durationCount}`,
    `http_request_duration_seconds_sum ${metrics.durationSumSec}`,
    `http_request_duration_seconds_count ${metrics.durationCount}`,
  );
  return `${lines.join('\n')}\n`;
}

function send(res, code, body, type = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = { 'content-type': type, 'content-length': Buffer.byteLength(text) };
  // While shutting down, tell keep-alive clients not to send more on this connection.
  if (stopping) headers.connection = 'close';
  res.writeHead(code, headers);
  res.end(text);
}

async function handle(req, res) {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/health') {
    return config.healthy ? send(res, 200, { ok: true }) : send(res, 503, { ok: false });
  }
  if (path === '/metrics') return send(res, 200, renderMetrics(), 'text/plain; version=0.0.4; charset=utf-8');
  if (path !== '/') return send(res, 404, { error: 'not found' });
  if (config.latencyMs > 0) await delay(config.latencyMs);
  const who = { version: config.version, instance: instanceId, pid: process.pid };
  if (Math.random() < config.errorRate) return send(res, 500, { error: 'injected failure (ERROR_RATE)', ...who });
  send(res, 200, { message: `hello from ${config.version}`, ...who });
}

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  res.on('finish', () => {
    record(res.statusCode, path, Number(process.hrtime.bigint() - started) / 1e9);
    // A keep-alive connection idle after its last answer would hold server.close() open.
    if (stopping) setImmediate(() => server.closeIdleConnections());
  });
  handle(req, res).catch((err) => {
    process.stderr.write(`hello: ${err.stack ?? err}\n`);
    if (!res.headersSent) send(res, 500, { error: 'internal error' });
    else res.destroy();
  });
});

// SIGTERM: stop accepting, let in-flight requests finish (keep-alive connections close once
// idle), then exit. A second signal, or 30 s, ends it at once.
let stopping = false;
function shutdown(signal) {
  if (stopping) process.exit(1);
  stopping = true;
  process.stdout.write(`hello ${config.version}: ${signal}, finishing in-flight requests\n`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(1), 30_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

if (config.startupDelayMs > 0) await delay(config.startupDelayMs);
if (!stopping) {
  server.listen(config.port, () => {
    const { port } = server.address();
    process.stdout.write(`hello ${config.version} listening on ${port} (instance ${instanceId}, pid ${process.pid})\n`);
  });
}
