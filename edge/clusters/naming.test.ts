import { describe, expect, it } from 'vitest';
import { clusterName, nextSequence, parseServerGroupName, SequencesExhaustedError, serverGroupName } from './naming.ts';

describe('clusterName', () => {
  it.each([
    [{ app: 'hello' }, 'hello'],
    [{ app: 'hello', stack: '', detail: '' }, 'hello'],
    [{ app: 'hello', stack: 'prod' }, 'hello-prod'],
    [{ app: 'hello', stack: 'prod', detail: '' }, 'hello-prod'],
    [{ app: 'hello', detail: 'canary' }, 'hello--canary'],
    [{ app: 'hello', stack: null, detail: 'canary' }, 'hello--canary'],
    [{ app: 'hello', stack: 'prod', detail: 'canary' }, 'hello-prod-canary'],
    [{ app: 'hello', stack: 'prod', detail: 'eu-west-1' }, 'hello-prod-eu-west-1'],
  ])('%j → %s', (parts, name) => {
    expect(clusterName(parts)).toBe(name);
  });

  it('refuses an empty application', () => {
    expect(() => clusterName({ app: '' })).toThrow('a cluster name needs an application');
  });
});

describe('serverGroupName', () => {
  it.each([
    [{ app: 'hello' }, 0, 'hello-v000'],
    [{ app: 'hello', stack: 'prod' }, 3, 'hello-prod-v003'],
    [{ app: 'hello', detail: 'x' }, 42, 'hello--x-v042'],
    [{ app: 'hello', stack: 's', detail: 'd1-d2' }, 999, 'hello-s-d1-d2-v999'],
  ])('%j #%i → %s', (moniker, seq, name) => {
    expect(serverGroupName(moniker, seq)).toBe(name);
  });

  it.each([-1, 1000, 1.5, Number.NaN])('refuses sequence %d', (seq) => {
    expect(() => serverGroupName({ app: 'hello' }, seq)).toThrow(RangeError);
  });
});

describe('parseServerGroupName', () => {
  it.each([
    ['hello', { app: 'hello', stack: '', detail: '', cluster: 'hello', sequence: null }],
    ['hello-v003', { app: 'hello', stack: '', detail: '', cluster: 'hello', sequence: 3 }],
    ['hello-prod', { app: 'hello', stack: 'prod', detail: '', cluster: 'hello-prod', sequence: null }],
    ['hello-prod-v000', { app: 'hello', stack: 'prod', detail: '', cluster: 'hello-prod', sequence: 0 }],
    ['hello--canary-v010', { app: 'hello', stack: '', detail: 'canary', cluster: 'hello--canary', sequence: 10 }],
    ['app-stack-d1-d2-v001', { app: 'app', stack: 'stack', detail: 'd1-d2', cluster: 'app-stack-d1-d2', sequence: 1 }],
    ['app-stack-d1-d2', { app: 'app', stack: 'stack', detail: 'd1-d2', cluster: 'app-stack-d1-d2', sequence: null }],
    ['evcache-us-east-1d-0-v223', { app: 'evcache', stack: 'us', detail: 'east-1d-0', cluster: 'evcache-us-east-1d-0', sequence: 223 }],
    ['chukwa.collector_1-v889', { app: 'chukwa.collector_1', stack: '', detail: '', cluster: 'chukwa.collector_1', sequence: 889 }],
    ['api--~A-v004', { app: 'api', stack: '', detail: '~A', cluster: 'api--~A', sequence: 4 }],
    // Frigga keeps the cluster as written before -vNNN.
    ['hello--v003', { app: 'hello', stack: '', detail: '', cluster: 'hello-', sequence: 3 }],
    // Not a push: fewer or more than 3 digits make the tail a stack or detail.
    ['foo-v1', { app: 'foo', stack: 'v1', detail: '', cluster: 'foo-v1', sequence: null }],
    ['foo-v0001', { app: 'foo', stack: 'v0001', detail: '', cluster: 'foo-v0001', sequence: null }],
    ['hello-prod-v1000', { app: 'hello', stack: 'prod', detail: 'v1000', cluster: 'hello-prod-v1000', sequence: null }],
  ])('%s', (name, moniker) => {
    expect(parseServerGroupName(name)).toEqual(moniker);
  });

  it.each(['', '   ', 'nccp-moviecontrol%27', 'api-^test-A-v004', 'has space-v001', '-v001'])('%j is not a Frigga name', (name) => {
    expect(parseServerGroupName(name)).toBeNull();
  });

  it.each([
    { app: 'hello', stack: '', detail: '' },
    { app: 'hello', stack: 'prod', detail: '' },
    { app: 'hello', stack: '', detail: 'canary' },
    { app: 'hello', stack: 'prod', detail: 'a-b-c' },
  ])('round-trips %j', (parts) => {
    const cluster = clusterName(parts);
    expect(parseServerGroupName(serverGroupName(parts, 7))).toEqual({ ...parts, cluster, sequence: 7 });
  });
});

describe('nextSequence', () => {
  const slot = (sequence: number | null, createdAt: number) => ({ sequence, createdAt });
  it.each([
    ['an empty cluster', [], 0],
    ['only unversioned groups', [slot(null, 5)], 0],
    ['one group', [slot(0, 1)], 1],
    ['the newest, not the highest', [slot(7, 1), slot(2, 9)], 3],
    ['wraps after 999', [slot(999, 9)], 0],
    ['wraps after 999 past taken ones', [slot(999, 9), slot(0, 1), slot(1, 2)], 2],
    ['skips taken ones', [slot(4, 9), slot(5, 1), slot(6, 2)], 7],
    ['ignores an unversioned newest group', [slot(3, 1), slot(null, 9)], 4],
    ['breaks a created-time tie by the higher sequence', [slot(1, 5), slot(8, 5)], 9],
  ])('%s', (_, existing, next) => {
    expect(nextSequence(existing)).toBe(next);
  });

  it('finds the one free sequence', () => {
    const all = Array.from({ length: 1000 }, (_, i) => slot(i, i)).filter((s) => s.sequence !== 500);
    expect(nextSequence(all)).toBe(500);
  });

  it('throws when all 1000 are taken, naming the cluster', () => {
    const all = Array.from({ length: 1000 }, (_, i) => ({ sequence: i, createdAt: i, moniker: { cluster: 'hello-prod' } }));
    expect(() => nextSequence(all)).toThrow(new SequencesExhaustedError('hello-prod'));
    expect(() => nextSequence(all)).toThrow('cluster "hello-prod" has 1000 server groups; destroy some');
    expect(() => nextSequence(all, 'other')).toThrow('cluster "other" has 1000 server groups; destroy some');
  });
});
