/**
 * Spinnaker's concurrency rules (Orca shouldQueue + StartWaitingExecutionsHandler): the pure
 * decision as tables, then the same rules through admission over D1 with real executions.
 */
import { describe, expect, it } from 'vitest';
import { concurrencyOf, decide, queuePosition, type ConcurrencyConfig } from './admission.ts';
import { Harness, HOUR, judgment, MINUTE, SECOND } from './test/harness.ts';

const NOW = 1_000_000;
const w = (id: string, createdAt: number, startTimeExpiry: number | null = null) => ({ id, createdAt, startTimeExpiry });
const limit: ConcurrencyConfig = { limitConcurrent: true, maxConcurrentExecutions: 0, keepWaitingPipelines: false };
const limitKeep: ConcurrencyConfig = { ...limit, keepWaitingPipelines: true };
const max2: ConcurrencyConfig = { limitConcurrent: false, maxConcurrentExecutions: 2, keepWaitingPipelines: false };
const max2Keep: ConcurrencyConfig = { ...max2, keepWaitingPipelines: true };
const unlimited: ConcurrencyConfig = { limitConcurrent: false, maxConcurrentExecutions: 0, keepWaitingPipelines: false };

describe('decide(): which waiting executions start and which are canceled', () => {
  const abc = [w('a', 1), w('b', 2), w('c', 3)];
  it.each<{ rule: string; config: ConcurrencyConfig; running: number; waiting: ReturnType<typeof w>[]; admitted?: string; start: string[]; cancel: string[] }>([
    { rule: 'limitConcurrent, nothing running: a new execution starts', config: limit, running: 0, waiting: [w('n', 5)], admitted: 'n', start: ['n'], cancel: [] },
    { rule: 'limitConcurrent, one running: a new execution waits (nothing is canceled on arrival)', config: limit, running: 1, waiting: [...abc, w('n', 5)], admitted: 'n', start: [], cancel: [] },
    { rule: 'a PAUSED or SUSPENDED execution counts as running (callers count every active one)', config: limit, running: 1, waiting: [w('n', 5)], admitted: 'n', start: [], cancel: [] },
    { rule: 'keepWaitingPipelines false, room frees: the NEWEST starts and every older waiting one is canceled', config: limit, running: 0, waiting: abc, start: ['c'], cancel: ['a', 'b'] },
    { rule: 'keepWaitingPipelines true, room frees: the OLDEST starts (FIFO), the rest keep waiting', config: limitKeep, running: 0, waiting: abc, start: ['a'], cancel: [] },
    { rule: 'keepWaitingPipelines true and still full: nothing starts', config: limitKeep, running: 1, waiting: abc, start: [], cancel: [] },
    { rule: 'waiting order is by creation time, not by list order', config: limitKeep, running: 0, waiting: [w('late', 9), w('early', 1)], start: ['early'], cancel: [] },
    { rule: 'creation-time ties break by id', config: limitKeep, running: 0, waiting: [w('y', 1), w('x', 1)], start: ['x'], cancel: [] },
    { rule: 'maxConcurrentExecutions 2 (limitConcurrent false): a new execution starts while fewer than 2 run', config: max2, running: 1, waiting: [w('n', 5)], admitted: 'n', start: ['n'], cancel: [] },
    { rule: 'maxConcurrentExecutions 2: a new execution waits while 2 run', config: max2, running: 2, waiting: [w('n', 5)], admitted: 'n', start: [], cancel: [] },
    { rule: 'maxConcurrentExecutions 2, keepWaiting: one slot frees → the oldest starts', config: max2Keep, running: 1, waiting: abc, start: ['a'], cancel: [] },
    { rule: 'maxConcurrentExecutions 2, keepWaiting: two slots free → the two oldest start', config: max2Keep, running: 0, waiting: abc, start: ['a', 'b'], cancel: [] },
    { rule: 'maxConcurrentExecutions 2, keepWaiting false: the newest starts and the older ones are purged (Orca purgeQueue)', config: max2, running: 1, waiting: abc, start: ['c'], cancel: ['a', 'b'] },
    { rule: 'limitConcurrent false and maxConcurrentExecutions 0: no limit, everything starts', config: unlimited, running: 7, waiting: abc, start: ['a', 'b', 'c'], cancel: [] },
    { rule: 'startTimeExpiry passed: canceled instead of started', config: limitKeep, running: 0, waiting: [w('a', 1, NOW), w('b', 2)], start: ['b'], cancel: ['a'] },
    { rule: 'startTimeExpiry passed: canceled even while there is no room', config: limitKeep, running: 1, waiting: [w('a', 1, NOW - 1), w('b', 2, NOW + 1)], start: [], cancel: ['a'] },
    { rule: 'startTimeExpiry passed on the newest: it is canceled and the newest live one starts (Gennaker; Orca would pop the expired newest, purge the rest and start none)', config: limit, running: 0, waiting: [w('a', 1), w('b', 2), w('c', 3, NOW)], start: ['b'], cancel: ['c', 'a'] },
    { rule: 'startTimeExpiry passed on a new execution: it is canceled at once', config: limit, running: 0, waiting: [w('n', 5, NOW - 1)], admitted: 'n', start: [], cancel: ['n'] },
    { rule: 'startTimeExpiry not yet passed: it starts', config: limit, running: 0, waiting: [w('n', 5, NOW + 1)], admitted: 'n', start: ['n'], cancel: [] },
  ])('$rule', ({ config, running, waiting, admitted, start, cancel }) => {
    const d = decide(config, running, waiting, NOW, admitted);
    expect(d.start).toEqual(start);
    expect(d.cancel.map((c) => c.id)).toEqual(cancel);
  });

  it('says why: superseded ones name the newer execution, expired ones the expiry', () => {
    const d = decide(limit, 0, [w('a', 1, NOW - 1), w('b', 2), w('c', 3)], NOW);
    expect(d.cancel).toEqual([
      { id: 'a', reason: `start time expiry passed (${new Date(NOW - 1).toISOString()}) before it could start` },
      { id: 'b', reason: 'superseded by a newer waiting execution c (keepWaitingPipelines is false)' },
    ]);
  });
});

describe('queuePosition(): where a waiting execution stands (1 starts next)', () => {
  const waiting = [w('b', 2), w('a', 1), w('c', 3)];
  it.each<[string, ConcurrencyConfig, string, number | null]>([
    ['keepWaitingPipelines false: the newest is first', limit, 'c', 1],
    ['keepWaitingPipelines false: the oldest is last', limit, 'a', 3],
    ['keepWaitingPipelines true: the oldest is first', limitKeep, 'a', 1],
    ['keepWaitingPipelines true: the newest is last', limitKeep, 'c', 3],
    ['an execution that is not waiting has no position', limit, 'zz', null],
  ])('%s', (_rule, config, id, expected) => {
    expect(queuePosition(config, waiting, id)).toBe(expected);
  });
});

describe('concurrencyOf(): a pipeline config’s concurrency settings, with Spinnaker’s defaults', () => {
  it.each<[Record<string, unknown>, ConcurrencyConfig]>([
    [{}, { limitConcurrent: true, maxConcurrentExecutions: 0, keepWaitingPipelines: false }],
    [{ limitConcurrent: false }, { limitConcurrent: false, maxConcurrentExecutions: 0, keepWaitingPipelines: false }],
    [{ limitConcurrent: false, maxConcurrentExecutions: 3, keepWaitingPipelines: true }, { limitConcurrent: false, maxConcurrentExecutions: 3, keepWaitingPipelines: true }],
  ])('%j → %j', (config, expected) => {
    expect(concurrencyOf(config)).toEqual(expected);
  });
});

describe('admission over D1: executions of one pipeline', () => {
  /** Starts `n` executions a second apart (distinct createdAt) and runs what starts. */
  async function startMany(h: Harness, pipelineId: string, n: number, opts: Parameters<Harness['start']>[1] = {}) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(await h.start(pipelineId, opts));
      await h.run();
      h.now += SECOND;
    }
    return ids;
  }
  const statusesOf = (h: Harness, ids: string[]) => Promise.all(ids.map((id) => h.status(id)));
  const positionsOf = (h: Harness, ids: string[]) => Promise.all(ids.map(async (id) => (await h.summary(id)).queuePosition));

  it('limitConcurrent, keepWaitingPipelines false: 3 wait while one runs; when it ends the NEWEST starts and the older ones are CANCELED as superseded', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'limited', limitConcurrent: true, stages: [judgment('1')] });
    const [first, a, b, c] = await startMany(h, p, 4);
    expect(await statusesOf(h, [first!, a!, b!, c!])).toEqual(['RUNNING', 'NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED']);
    expect(await positionsOf(h, [a!, b!, c!])).toEqual([3, 2, 1]);
    expect((await h.summary(first!)).queuePosition).toBeNull();
    await h.judge(first!, '1', 'continue');
    expect(await statusesOf(h, [first!, a!, b!, c!])).toEqual(['SUCCEEDED', 'CANCELED', 'CANCELED', 'RUNNING']);
    expect(await h.statuses(c!)).toEqual({ '1': 'RUNNING' });
    for (const older of [a!, b!]) {
      expect(await h.execution(older)).toMatchObject({ canceledBy: 'gennaker', cancelReason: `superseded by a newer waiting execution ${c} (keepWaitingPipelines is false)`, endedAt: h.now, startedAt: null });
      // Never started: its stages never ran.
      expect(await h.statuses(older)).toEqual({ '1': 'NOT_STARTED' });
    }
  });

  it('limitConcurrent, keepWaitingPipelines true: waiting executions run one at a time, oldest first', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'fifo', limitConcurrent: true, keepWaitingPipelines: true, stages: [judgment('1')] });
    const ids = await startMany(h, p, 4);
    expect(await statusesOf(h, ids)).toEqual(['RUNNING', 'NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED']);
    expect(await positionsOf(h, ids.slice(1))).toEqual([1, 2, 3]);
    for (let i = 0; i < ids.length; i++) {
      const expected = ids.map((_, j) => (j < i ? 'SUCCEEDED' : j === i ? 'RUNNING' : 'NOT_STARTED'));
      expect(await statusesOf(h, ids), `turn ${i}`).toEqual(expected);
      if (i + 1 < ids.length) expect((await h.summary(ids[i + 1]!)).queuePosition).toBe(1);
      await h.judge(ids[i]!, '1', 'continue');
    }
    expect(await statusesOf(h, ids)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });

  it('limitConcurrent false with maxConcurrentExecutions 2: two run, the third waits until one ends', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'two', limitConcurrent: false, maxConcurrentExecutions: 2, keepWaitingPipelines: true, stages: [judgment('1')] });
    const ids = await startMany(h, p, 4);
    expect(await statusesOf(h, ids)).toEqual(['RUNNING', 'RUNNING', 'NOT_STARTED', 'NOT_STARTED']);
    expect(await positionsOf(h, ids.slice(2))).toEqual([1, 2]);
    await h.judge(ids[1]!, '1', 'stop');
    expect(await statusesOf(h, ids)).toEqual(['RUNNING', 'TERMINAL', 'RUNNING', 'NOT_STARTED']);
    await h.judge(ids[0]!, '1', 'continue');
    expect(await statusesOf(h, ids)).toEqual(['SUCCEEDED', 'TERMINAL', 'RUNNING', 'RUNNING']);
  });

  it('limitConcurrent false without maxConcurrentExecutions: every execution starts at once', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'free', limitConcurrent: false, stages: [judgment('1')] });
    const ids = await startMany(h, p, 4);
    expect(await statusesOf(h, ids)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING']);
  });

  it('canceling a waiting execution: it stays CANCELED and never starts, the others keep their turn', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'cancel-waiting', limitConcurrent: true, keepWaitingPipelines: true, stages: [judgment('1')] });
    const [first, a, b] = await startMany(h, p, 3);
    await h.cancel(a!, 'erin@example.com', 'not this one');
    expect(await h.execution(a!)).toMatchObject({ status: 'CANCELED', canceledBy: 'erin@example.com', cancelReason: 'not this one', startedAt: null });
    expect(await statusesOf(h, [first!, b!])).toEqual(['RUNNING', 'NOT_STARTED']);
    expect((await h.summary(b!)).queuePosition).toBe(1);
    await h.judge(first!, '1', 'continue');
    expect(await statusesOf(h, [first!, a!, b!])).toEqual(['SUCCEEDED', 'CANCELED', 'RUNNING']);
    expect(await h.statuses(a!)).toEqual({ '1': 'NOT_STARTED' });
    expect(h.handled.some((m) => m.type === 'startExecution' && m.executionId === a)).toBe(false);
  });

  it('canceling the running execution frees its slot: the next waiting one starts', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'cancel-running', limitConcurrent: true, keepWaitingPipelines: true, stages: [judgment('1')] });
    const [first, next] = await startMany(h, p, 2);
    await h.cancel(first!);
    expect(await statusesOf(h, [first!, next!])).toEqual(['CANCELED', 'RUNNING']);
  });

  it('startTimeExpiry passed while waiting: the execution is CANCELED instead of started, and the next one starts', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'expiry', limitConcurrent: true, keepWaitingPipelines: true, stages: [judgment('1')] });
    const [first] = await startMany(h, p, 1);
    const expiry = h.now + MINUTE;
    const [late] = await startMany(h, p, 1, { startTimeExpiry: expiry });
    const [patient] = await startMany(h, p, 1);
    await h.advance(2 * MINUTE);
    expect(await h.status(late!)).toBe('NOT_STARTED');
    await h.judge(first!, '1', 'continue');
    expect(await h.execution(late!)).toMatchObject({ status: 'CANCELED', canceledBy: 'gennaker', cancelReason: `start time expiry passed (${new Date(expiry).toISOString()}) before it could start` });
    expect(await h.status(patient!)).toBe('RUNNING');
  });

  it('startTimeExpiry not yet passed when room frees: the execution starts', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'expiry-ok', limitConcurrent: true, stages: [judgment('1')] });
    const [first] = await startMany(h, p, 1);
    const [waiting] = await startMany(h, p, 1, { startTimeExpiry: h.now + HOUR });
    await h.judge(first!, '1', 'continue');
    expect(await h.status(waiting!)).toBe('RUNNING');
  });

  it('a PAUSED execution keeps its slot: a new one waits until it ends (Gennaker counts RUNNING, PAUSED and SUSPENDED)', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'paused-slot', limitConcurrent: true, stages: [judgment('1')] });
    const [first] = await startMany(h, p, 1);
    await h.pause(first!);
    const [second] = await startMany(h, p, 1);
    expect(await h.status(second!)).toBe('NOT_STARTED');
    await h.resume(first!);
    await h.judge(first!, '1', 'continue');
    expect(await h.status(second!)).toBe('RUNNING');
  });

  it('pipelines are admitted independently: a busy pipeline does not hold up another', async () => {
    const h = new Harness();
    const p1 = await h.pipeline({ name: 'busy', limitConcurrent: true, stages: [judgment('1')] });
    const p2 = await h.pipeline({ name: 'other', limitConcurrent: true, stages: [judgment('1')] });
    const [a, b] = await startMany(h, p1, 2);
    const [c] = await startMany(h, p2, 1);
    expect(await statusesOf(h, [a!, b!, c!])).toEqual(['RUNNING', 'NOT_STARTED', 'RUNNING']);
  });
});

