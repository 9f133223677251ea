import { describe, expect, it } from 'vitest';
import type { LeasedTask, ServerGroupSnapshot } from '../contract/operations.ts';
import type { Collected } from './metrics/collect.ts';
import type { Coverage } from './metrics/coverage.ts';
import type { AgentMetrics } from './metrics/index.ts';
import { MAX_RESULT_BYTES, parseOperation, runOperation, serverGroupKey, type ParsedOperation } from './operation.ts';
import type { Provider } from './providers/provider.ts';

const snapshot: ServerGroupSnapshot = {
  name: 'hello-v001', location: 'local', moniker: { app: 'hello', stack: '', detail: '', cluster: 'hello', sequence: 1 }, disabled: false,
  capacity: { min: 1, max: 1, desired: 1 }, artifact: null, loadBalancers: ['hello'], createdAt: 1, instances: [],
};
const provider = {
  type: 'local',
  createServerGroup: async () => snapshot,
  destroyServerGroup: async () => undefined,
} as unknown as Provider;

const parse = (operation: LeasedTask['operation'], payload: Record<string, unknown>): ParsedOperation => {
  const parsed = parseOperation({ id: 't', operation, account: 'local', payload, attempt: 1, leaseExpiresAt: 0, idempotencyKey: 'k' });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.op;
};
const create = (metrics?: unknown) =>
  parse('createServerGroup', {
    account: 'local', location: 'local', serverGroupName: 'hello-v001', moniker: snapshot.moniker, capacity: snapshot.capacity,
    artifact: { type: 'process', command: 'node' }, ...(metrics ? { metrics } : {}),
  });
const collect = parse('collectMetrics', {
  account: 'local', location: 'local', source: { type: 'builtin' }, stepSec: 10,
  metrics: [{ name: 'errors', query: { type: 'builtin', metric: 'errors_total', aggregation: 'rate' } }],
  control: { scope: 'hello-baseline-v001', location: 'local', startMs: 0, endMs: 10_000 },
  experiment: { scope: 'hello-canary-v001', location: 'local', startMs: 0, endMs: 10_000 },
});

const scopeCoverage = (scope: string) => ({ scope, startMs: 0, endMs: 10_000, stepSec: 10, steps: 2, stepsWithData: 2, firstSampleMs: 0 });
const coverage: Coverage = { control: scopeCoverage('hello-baseline-v001'), experiment: scopeCoverage('hello-canary-v001') };

/** Agent metrics that record what the task runner told them and answer collections with `collected` (and `coverage`). */
function metrics(collected: unknown = {}) {
  const events: string[] = [];
  const m: AgentMetrics = {
    created: async (op) => void events.push(`created ${op.serverGroupName} every ${op.metrics?.stepSec}s`),
    destroyed: async (ref) => void events.push(`destroyed ${ref.serverGroupName}`),
    collect: async () => ({ metrics: collected, coverage }) as Collected,
    close: async () => undefined,
  };
  return { m, events };
}

describe('runOperation', () => {
  it('collectMetrics answers {serverGroup: null, details: {metrics, coverage}}', async () => {
    const series = { startMs: 0, stepSec: 10, values: [1, null] };
    const { m } = metrics({ errors: { control: series, experiment: series } });
    expect(await runOperation(provider, collect, () => undefined, m)).toEqual({ serverGroup: null, details: { metrics: { errors: { control: series, experiment: series } }, coverage } });
  });

  it('fails a collection whose result is larger than the edge takes, naming its size and what to change', async () => {
    // 25 metrics × 3 h at 1 s, both scopes: about 10,800 values a series of ~18 characters each.
    const values = Array.from({ length: 10_800 }, (_, i) => 0.1234567890123 + i);
    const series = { startMs: 0, stepSec: 1, values };
    const big = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`metric ${i}`, { control: series, experiment: series }]));
    const bytes = Buffer.byteLength(JSON.stringify({ serverGroup: null, details: { metrics: big, coverage } }));
    expect(bytes).toBeGreaterThan(MAX_RESULT_BYTES);
    await expect(runOperation(provider, collect, () => undefined, metrics(big).m)).rejects.toThrow(
      `the collected metrics are ${(bytes / 1024 / 1024).toFixed(1)} MiB encoded (25 metric(s), control and experiment), more than the ${MAX_RESULT_BYTES / 1024 / 1024} MiB an agent may send; ` +
        'shorten the windows with lookbackMins, use a larger stepSec, or split the canary config',
    );

    // The same canary at a 10 s step fits.
    const fits = { startMs: 0, stepSec: 10, values: values.slice(0, 1_080) };
    const small = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`metric ${i}`, { control: fits, experiment: fits }]));
    expect((await runOperation(provider, collect, () => undefined, metrics(small).m)).details.metrics).toEqual(small);
  });

  it('refuses to report collected metrics the edge would refuse, and fails without agent metrics', async () => {
    const { m } = metrics({ errors: { control: { startMs: 0, stepSec: 10, values: [Infinity] } } });
    await expect(runOperation(provider, collect, () => undefined, m)).rejects.toThrow(/the collected metrics are malformed/);
    await expect(runOperation(provider, collect, () => undefined)).rejects.toThrow('this agent cannot collect metrics');
  });

  it('starts scraping a group created with metrics, and stops when it is destroyed', async () => {
    const { m, events } = metrics();
    const lines: string[] = [];
    await runOperation(provider, create({ stepSec: 5 }), (l) => lines.push(l), m);
    await runOperation(provider, create(), () => undefined, m);
    await runOperation(provider, parse('destroyServerGroup', { account: 'local', location: 'local', serverGroupName: 'hello-v001' }), () => undefined, m);
    expect(events).toEqual(['created hello-v001 every 5s', 'destroyed hello-v001']);
    expect(lines).toContain('scraping /metrics of each instance every 5s for canary metrics');
  });
});

describe('serverGroupKey', () => {
  it('locks a metrics collection on the canary (experiment) group', () => {
    expect(serverGroupKey(collect)).toBe('local/local/hello-canary-v001');
  });
});
