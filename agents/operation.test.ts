import { describe, expect, it } from 'vitest';
import type { CollectedMetrics } from '../contract/canary.ts';
import type { LeasedTask, ServerGroupSnapshot } from '../contract/operations.ts';
import type { AgentMetrics } from './metrics/index.ts';
import { parseOperation, runOperation, serverGroupKey, type ParsedOperation } from './operation.ts';
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

/** Agent metrics that record what the task runner told them and answer collections with `collected`. */
function metrics(collected: unknown = {}) {
  const events: string[] = [];
  const m: AgentMetrics = {
    created: async (op) => void events.push(`created ${op.serverGroupName} every ${op.metrics?.stepSec}s`),
    destroyed: async (ref) => void events.push(`destroyed ${ref.serverGroupName}`),
    collect: async () => collected as CollectedMetrics,
    close: async () => undefined,
  };
  return { m, events };
}

describe('runOperation', () => {
  it('collectMetrics answers {serverGroup: null, details: {metrics}}', async () => {
    const series = { startMs: 0, stepSec: 10, values: [1, null] };
    const { m } = metrics({ errors: { control: series, experiment: series } });
    expect(await runOperation(provider, collect, () => undefined, m)).toEqual({ serverGroup: null, details: { metrics: { errors: { control: series, experiment: series } } } });
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
