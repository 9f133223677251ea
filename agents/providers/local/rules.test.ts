import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextHealth, type ProcessHealth, type Probe } from './health.ts';
import { instanceEnv, restartDelayMs } from './instances.ts';
import { pickRoundRobin, retryable } from './load-balancer.ts';
import { KeyedLock } from './lock.ts';
import { httpAddress, instanceLogFile, instanceName, loadBalancersFor } from './names.ts';
import { backendsFor, displayedHealth, inRotation, pickInstancesToDisable, pickInstancesToStop } from './snapshot.ts';
import { summarizeLog } from './supervisor.ts';
import { LocalStateError, newServerGroupRecord, StateStore, type LocalState, type ServerGroupRecord } from './state.ts';
import { ChangeSignal } from './changes.ts';

const ok: Probe = { kind: 'ok', status: 200 };
const bad: Probe = { kind: 'unhealthy', status: 503 };
const refused: Probe = { kind: 'unreachable', error: 'connect ECONNREFUSED' };
const exited: Probe = { kind: 'exited' };

describe('nextHealth', () => {
  it.each<[ProcessHealth, boolean, Probe, ProcessHealth]>([
    ['Starting', false, ok, 'Up'],
    ['Starting', false, refused, 'Starting'],
    ['Starting', false, bad, 'Down'],
    ['Starting', false, exited, 'Down'],
    ['Up', true, refused, 'Down'],
    ['Up', true, bad, 'Down'],
    ['Up', true, ok, 'Up'],
    ['Down', true, ok, 'Up'],
    ['Down', false, refused, 'Down'],
    ['Down', true, exited, 'Down'],
  ])('%s (ever up: %s) + %o → %s', (current, everUp, probe, expected) => {
    expect(nextHealth(current, everUp, probe)).toBe(expected);
  });
});

describe('displayedHealth and inRotation', () => {
  const status = (health: ProcessHealth, draining = false, stopping = false) => ({ health, draining, stopping });
  it.each([
    [status('Up'), false, 'Up', true],
    [status('Up'), true, 'OutOfService', false],
    [status('Up', true), true, 'Draining', false],
    [status('Up', false, true), false, 'Draining', false],
    [status('Starting'), false, 'Starting', false],
    [status('Down'), true, 'Down', false],
  ] as const)('%o taken out=%s (group or instance disabled) shows %s, in rotation %s', (s, disabled, shown, rotating) => {
    expect(displayedHealth(s, disabled)).toBe(shown);
    expect(inRotation(s, disabled)).toBe(rotating);
  });
});

describe('backendsFor', () => {
  const group = (name: string, disabled: boolean, lbs: string[], ports: number[], account = 'local') =>
    ({ account, location: 'local', name, disabled, loadBalancers: lbs, instances: ports.map((port, index) => ({ name: `${name}-${index}`, port })) }) as unknown as ServerGroupRecord;
  const lb = { account: 'local', location: 'local', name: 'hello', port: 9000 };
  it('routes to Up, not draining instances of enabled groups attached to the load balancer', () => {
    const groups = [group('v1', true, ['hello'], [1, 2]), group('v2', false, ['hello'], [3, 4, 5]), group('other', false, ['x'], [6]), group('acct', false, ['hello'], [7], 'prod')];
    const statusOf = (_g: ServerGroupRecord, i: { port: number }) => ({ health: i.port === 4 ? ('Starting' as const) : ('Up' as const), draining: i.port === 5, stopping: false });
    expect(backendsFor(lb, groups, statusOf)).toEqual([{ instance: 'v2-0', port: 3 }]);
  });

  it('leaves out the instances a partial disable took out of an enabled group', () => {
    const g = group('v1', false, ['hello'], [1, 2, 3, 4]);
    g.instances[1]!.outOfService = true;
    g.instances[3]!.outOfService = true;
    const up = () => ({ health: 'Up' as const, draining: false, stopping: false });
    expect(backendsFor(lb, [g], up).map((b) => b.port)).toEqual([1, 3]);
  });
});

describe('pickInstancesToDisable (rolling red/black: take p% of a group out, rounded up)', () => {
  const up = (index: number, outOfService = false) => ({ index, health: 'Up' as const, outOfService });
  const four = [up(0), up(1), up(2), up(3)];
  it.each([
    { rule: '50% of 4: two, newest first', instances: four, pct: 50, out: [3, 2] },
    { rule: '25% of 4: one', instances: four, pct: 25, out: [3] },
    { rule: '10% of 4: rounded up to one', instances: four, pct: 10, out: [3] },
    { rule: '0%: none', instances: four, pct: 0, out: [] },
    { rule: '100%: all', instances: four, pct: 100, out: [3, 2, 1, 0] },
    { rule: '50% after 25%: the one already out counts, so one more', instances: [up(0), up(1), up(2), up(3, true)], pct: 50, out: [2] },
    { rule: '25% after 50%: never puts one back', instances: [up(0), up(1), up(2, true), up(3, true)], pct: 25, out: [] },
    { rule: 'a Down instance goes first (it serves nothing anyway)', instances: [up(0), { index: 1, health: 'Down' as const, outOfService: false }, up(2)], pct: 34, out: [1, 2] },
  ])('$rule', ({ instances, pct, out }) => {
    expect(pickInstancesToDisable(instances, pct).map((i) => i.index)).toEqual(out);
  });
});

describe('pickInstancesToStop', () => {
  const instances = [
    { index: 0, health: 'Up' as const },
    { index: 1, health: 'Up' as const },
    { index: 2, health: 'Down' as const },
    { index: 3, health: 'Starting' as const },
    { index: 4, health: 'Up' as const },
  ];
  it.each([
    [1, [2]],
    [2, [2, 3]],
    [3, [2, 3, 4]],
    [5, [2, 3, 4, 1, 0]],
    [0, []],
    [-1, []],
  ])('stops %i: indexes %o', (count, expected) => {
    expect(pickInstancesToStop(instances, count).map((i) => i.index)).toEqual(expected);
  });

  // A group a rolling red/black left partly out of service: those out serve nothing, so they go before serving ones.
  const i = (index: number, health: ProcessHealth, outOfService = false) => ({ index, health, outOfService });
  it.each([
    { rule: 'out of service before serving, though older', instances: [i(0, 'Up', true), i(1, 'Up'), i(2, 'Up')], count: 1, stops: [0] },
    { rule: 'every out-of-service one before any serving one, newest first among them', instances: [i(0, 'Up', true), i(1, 'Up', true), i(2, 'Up'), i(3, 'Up')], count: 3, stops: [1, 0, 3] },
    { rule: 'Down before out of service: it cannot serve even when put back', instances: [i(0, 'Up', true), i(1, 'Down'), i(2, 'Up')], count: 2, stops: [1, 0] },
    { rule: 'out of service before Starting: a starting one is about to serve', instances: [i(0, 'Up', true), i(1, 'Starting'), i(2, 'Up')], count: 2, stops: [0, 1] },
    { rule: 'a Starting one out of service counts as out of service', instances: [i(0, 'Starting', true), i(1, 'Up', true), i(2, 'Starting')], count: 2, stops: [1, 0] },
    { rule: 'a Down one out of service counts as Down', instances: [i(0, 'Up', true), i(1, 'Down', true)], count: 1, stops: [1] },
  ])('$rule', ({ instances: given, count, stops }) => {
    expect(pickInstancesToStop(given, count).map((x) => x.index)).toEqual(stops);
  });
});

describe('newServerGroupRecord', () => {
  const op = {
    account: 'local', location: 'here', serverGroupName: 'hello-web-v003', moniker: { app: 'hello', stack: 'web', detail: '', cluster: 'hello-web', sequence: 3 },
    capacity: { min: 1, max: 3, desired: 2 }, loadBalancers: [], enabled: true, healthCheck: { path: 'ready', timeoutSec: 30 },
    artifact: { type: 'process' as const, command: 'node', args: ['server.js'], env: { VERSION: '3' } },
  };
  it('starts out of rotation with no instances, in its cluster load balancer, with a rooted health path', () => {
    expect(newServerGroupRecord(op, op.artifact, 1234)).toEqual({
      account: 'local', location: 'here', name: 'hello-web-v003', moniker: op.moniker, capacity: op.capacity,
      artifact: { type: 'process', command: 'node', args: ['server.js'], env: { VERSION: '3' } },
      loadBalancers: ['hello-web'], disabled: true, createdAt: 1234, healthCheck: { path: '/ready', timeoutSec: 30 }, nextIndex: 0, instances: [],
    });
  });
  it('keeps the load balancers asked for and the artifact version', () => {
    const record = newServerGroupRecord({ ...op, loadBalancers: ['a', 'a', 'b'], healthCheck: { path: '/health', timeoutSec: 30 } }, { ...op.artifact, version: 'hello 3' }, 1);
    expect(record).toMatchObject({ loadBalancers: ['a', 'b'], healthCheck: { path: '/health' }, artifact: { version: 'hello 3' } });
  });
});

describe('ChangeSignal', () => {
  it('tells every listener once per burst, after the current task, even when one listener throws', async () => {
    const lines: string[] = [];
    const signal = new ChangeSignal((l) => lines.push(l));
    let calls = 0;
    signal.listen(() => {
      throw new Error('boom');
    });
    signal.listen(() => calls++);
    signal.fire();
    signal.fire();
    expect(calls).toBe(0);
    await Promise.resolve();
    expect(calls).toBe(1);
    signal.fire();
    await Promise.resolve();
    expect(calls).toBe(2);
    expect(lines).toEqual(['change listener failed: boom', 'change listener failed: boom']);
  });
});

describe('load balancer rules', () => {
  it('round-robins over the current set and has nothing for an empty one', () => {
    expect([0, 1, 2, 3].map((n) => pickRoundRobin(['a', 'b', 'c'], n))).toEqual(['a', 'b', 'c', 'a']);
    expect(pickRoundRobin([], 7)).toBeUndefined();
  });
  it.each([
    ['ECONNREFUSED', 'GET', true],
    ['ECONNRESET', 'HEAD', true],
    ['ECONNREFUSED', 'POST', false],
    ['ETIMEDOUT', 'GET', false],
    [undefined, 'GET', false],
  ])('retries %s on %s: %s', (code, method, expected) => {
    expect(retryable(code, method)).toBe(expected);
  });
});

describe('names', () => {
  it('names instances, logs, addresses and default load balancers', () => {
    expect(instanceName('hello-prod-v003', 2)).toBe('hello-prod-v003-2');
    expect(instanceLogFile('/s', 'local', 'us/east', 'hello-v001-0')).toBe(path.join('/s', 'logs', 'local.us_east.hello-v001-0.log'));
    expect(httpAddress('127.0.0.1', 9100)).toBe('http://127.0.0.1:9100');
    expect(httpAddress('::1', 9100)).toBe('http://[::1]:9100');
    expect(loadBalancersFor([], 'hello-prod')).toEqual(['hello-prod']);
    expect(loadBalancersFor(['a', 'b', 'a'], 'hello-prod')).toEqual(['a', 'b']);
  });
});

describe('instances', () => {
  it('backs off restarts from 1 s doubling to 30 s', () => {
    expect([0, 1, 2, 4, 5, 20].map(restartDelayMs)).toEqual([1_000, 2_000, 4_000, 16_000, 30_000, 30_000]);
  });
  it('gives an instance the agent environment without GENNAKER_* plus its own settings', () => {
    const group = { name: 'hello-v001', artifact: { type: 'process', command: 'node', args: [], env: { VERSION: '2.0.0', PORT: '1' } } } as unknown as ServerGroupRecord;
    const env = instanceEnv({ PATH: '/bin', GENNAKER_INSTALL_TOKEN: 'secret', HOME: undefined }, group, { name: 'hello-v001-0', port: 4000 } as never);
    expect(env).toEqual({ PATH: '/bin', VERSION: '2.0.0', PORT: '4000', GENNAKER_SERVER_GROUP: 'hello-v001', GENNAKER_INSTANCE: 'hello-v001-0' });
  });
});

describe('summarizeLog', () => {
  it.each([
    ["node:internal/x:1\n  throw err;\n\nError: Cannot find module 'a'\n    at f (x.js:1)\n{\n  code: 'X'\n}\n\nNode.js v24", "Error: Cannot find module 'a'"],
    ['--- starting x\nlistening\nbye\n', 'listening | bye'],
    ['one\ntwo\nthree\nfour', 'two | three | four'],
    ['', ''],
  ])('%j → %j', (tail, expected) => {
    expect(summarizeLog(tail)).toBe(expected);
  });
});

describe('KeyedLock', () => {
  it('runs one at a time per key, in order, and goes on after a failure', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const step = (name: string, ms: number, fail = false) => async () => {
      events.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      events.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([lock.run('g', step('a', 20, true)), lock.run('g', step('b', 1)), lock.run('other', step('c', 1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(events.indexOf('b start')).toBeGreaterThan(events.indexOf('a end'));
    expect(events.indexOf('c end')).toBeLessThan(events.indexOf('a end'));
  });
});

describe('StateStore', () => {
  it('starts empty, round-trips, keeps the last of concurrent saves, and refuses a foreign file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gennaker-state-'));
    try {
      const store = new StateStore(dir);
      const empty = await store.load();
      expect(empty).toEqual({ version: 1, serverGroups: [], loadBalancers: [] });
      const state: LocalState = { ...empty, loadBalancers: [{ account: 'local', location: 'local', name: 'hello', port: 9100 }] };
      const first = store.save(state);
      state.loadBalancers[0]!.port = 9200;
      await Promise.all([first, store.save(state)]);
      expect((await store.load()).loadBalancers[0]!.port).toBe(9200);
      expect(JSON.parse(await readFile(store.file, 'utf8')).version).toBe(1);
      await writeFile(store.file, '{"version":2}');
      await expect(store.load()).rejects.toBeInstanceOf(LocalStateError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
