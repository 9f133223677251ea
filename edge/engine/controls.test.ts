/**
 * Controls a person sends to an execution (cancel, pause, resume, restart) and the engine's
 * promise that a repeated or misplaced control message changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from './messages.ts';
import { failing, Harness, HOUR, judgment, MINUTE, SECOND, stage, wait } from './test/harness.ts';

const window13to14 = { restrictExecutionDuringTimeWindow: true, restrictedExecutionWindow: { whitelist: [{ startHour: 13, startMin: 0, endHour: 14, endMin: 0 }] } };

describe('cancel', () => {
  it('cancel: running, waiting and suspended stages become CANCELED, who and why are recorded, downstream never starts', async () => {
    const h = new Harness(); // 12:00 UTC, so stage 4 waits for its 13:00 window
    const stages = [wait('1', 10), wait('2', 0, ['1']), judgment('3'), wait('4', 0, [], window13to14)];
    const id = await h.start(await h.pipeline({ name: 'cancel', stages }));
    await h.run();
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING', '2': 'NOT_STARTED', '3': 'RUNNING', '4': 'SUSPENDED' });
    await h.advance(5 * SECOND);
    await h.cancel(id, 'alice@example.com', 'wrong build');
    const at = h.now;
    expect(await h.execution(id)).toMatchObject({ status: 'CANCELED', canceledBy: 'alice@example.com', cancelReason: 'wrong build', endedAt: at });
    expect(await h.statuses(id)).toEqual({ '1': 'CANCELED', '2': 'NOT_STARTED', '3': 'CANCELED', '4': 'CANCELED' });
    for (const refId of ['1', '3', '4']) expect((await h.stage(id, refId)).endedAt).toBe(at);
    // The wait's timer, the window opening and the judgment's timeout all come and go.
    await h.advance(4 * 24 * HOUR);
    expect(await h.statuses(id)).toEqual({ '1': 'CANCELED', '2': 'NOT_STARTED', '3': 'CANCELED', '4': 'CANCELED' });
    expect((await h.stage(id, '2')).startedAt).toBeNull();
    expect(await h.execution(id)).toMatchObject({ status: 'CANCELED', endedAt: at });
  });

  it('cancel of a paused execution cancels its paused stages', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'cancel-paused', stages: [wait('1', 10), judgment('2')] }));
    await h.run();
    await h.pause(id);
    expect(await h.statuses(id)).toEqual({ '1': 'PAUSED', '2': 'PAUSED' });
    await h.cancel(id);
    expect(await h.statuses(id)).toEqual({ '1': 'CANCELED', '2': 'CANCELED' });
    expect(await h.status(id)).toBe('CANCELED');
  });
});

describe('pause and resume', () => {
  it('while paused no stage starts: a stage unblocked during the pause starts on resume', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'pause', stages: [wait('1', 10), wait('2', 5, ['1'])] }));
    const t0 = h.now;
    await h.run();
    // The pause arrives in the same instant stage 1 ends, right behind its timer.
    h.now = t0 + 10 * SECOND;
    await h.pause(id);
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': 'NOT_STARTED' });
    expect(await h.execution(id)).toMatchObject({ status: 'PAUSED', pausedAt: h.now });
    await h.advance(HOUR);
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': 'NOT_STARTED' });
    await h.resume(id);
    expect(await h.execution(id)).toMatchObject({ status: 'RUNNING', pausedAt: null });
    expect(await h.stage(id, '2')).toMatchObject({ status: 'RUNNING', startedAt: h.now });
    await h.advance(5 * SECOND);
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it("a wait's remaining time is extended by the time paused", async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'pause-wait', stages: [wait('1', 10)] }));
    const t0 = h.now;
    await h.run();
    await h.advance(4 * SECOND);
    await h.pause(id);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'PAUSED', meta: { pausedAt: t0 + 4 * SECOND } });
    await h.advance(100 * SECOND);
    expect(await h.statuses(id)).toEqual({ '1': 'PAUSED' });
    await h.resume(id);
    expect((await h.stage(id, '1')).meta).toMatchObject({ pausedMs: 100 * SECOND });
    await h.advance(6 * SECOND - 1);
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING' });
    await h.advance(1);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', endedAt: t0 + 110 * SECOND });
  });

  it('a pause that reaches the runner before the start: the execution records its start and begins on resume', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'pause-first', stages: [wait('1', 0)] }));
    h.enqueue([{ type: 'pauseExecution', executionId: id, user: 'alice@example.com' }], h.now - 1);
    await h.run();
    expect(await h.execution(id)).toMatchObject({ status: 'PAUSED', startedAt: h.now });
    expect(await h.statuses(id)).toEqual({ '1': 'NOT_STARTED' });
    await h.advance(MINUTE);
    await h.resume(id);
    expect(await h.status(id)).toBe('SUCCEEDED');
  });
});

describe('restart a stage', () => {
  it('restart of a stopped judgment in a TERMINAL execution: it and all downstream reset, who/when recorded, the execution runs again and succeeds', async () => {
    const h = new Harness();
    const stages = [wait('1', 1), judgment('2', ['1'], { name: 'Approve' }), wait('3', 1, ['2'])];
    const id = await h.start(await h.pipeline({ name: 'restart', stages }));
    const t0 = h.now;
    await h.advance(SECOND);
    await h.judge(id, '2', 'stop');
    expect(await h.execution(id)).toMatchObject({ status: 'TERMINAL', endedAt: t0 + SECOND });
    await h.advance(MINUTE);
    await h.restart(id, '2', 'bob@example.com');
    const at = h.now;
    expect(await h.execution(id)).toMatchObject({ status: 'RUNNING', endedAt: null, startedAt: t0 });
    expect(await h.stage(id, '2')).toMatchObject({ status: 'RUNNING', error: null, startedAt: at, endedAt: null, outputs: { judgmentStatus: null }, meta: { restartedBy: 'bob@example.com', restartedAt: at } });
    expect(await h.stage(id, '3')).toMatchObject({ status: 'NOT_STARTED', startedAt: null });
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', startedAt: t0 });
    await h.judge(id, '2', 'continue');
    await h.advance(SECOND);
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED' });
    expect(await h.execution(id)).toMatchObject({ status: 'SUCCEEDED', endedAt: at + SECOND });
  });

  it('restart of an upstream stage resets everything downstream of it, whatever its status, and leaves other branches alone', async () => {
    const h = new Harness();
    const stages = [wait('1', 1), stage('2', 'evaluateVariables', { name: 'Vars', variables: [{ key: 'x', value: '${execution.id}' }] }, ['1']), wait('3', 10, ['2']), wait('4', 100)];
    const id = await h.start(await h.pipeline({ name: 'restart-up', stages }));
    const t0 = h.now;
    await h.advance(5 * SECOND);
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'RUNNING', '4': 'RUNNING' });
    await h.restart(id, '1');
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING', '2': 'NOT_STARTED', '3': 'NOT_STARTED', '4': 'RUNNING' });
    // Every reset stage records the restart (a stage run keys its side effects, e.g. a child id, on it).
    for (const refId of ['1', '2', '3']) expect((await h.stage(id, refId)).meta).toMatchObject({ restartedBy: 'bob@example.com', restartedAt: t0 + 5 * SECOND });
    expect((await h.stage(id, '4')).meta).not.toHaveProperty('restartedBy');
    // Context back to the expressions as written, outputs emptied.
    expect(await h.stage(id, '2')).toMatchObject({ outputs: {}, context: { variables: [{ key: 'x', value: '${execution.id}' }] } });
    await h.advance(SECOND);
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'RUNNING', '4': 'RUNNING' });
    expect((await h.stage(id, '3')).startedAt).toBe(t0 + 6 * SECOND);
    // Stage 3's first timer (due at 11 s) does not end its second run early.
    await h.advance(10 * SECOND - 1);
    expect((await h.stage(id, '3')).status).toBe('RUNNING');
    await h.advance(1);
    expect((await h.stage(id, '3')).status).toBe('SUCCEEDED');
    await h.advance(100 * SECOND);
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('restart of a stage in a CANCELED execution clears the cancel and runs it again', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'restart-canceled', stages: [wait('1', 10)] }));
    await h.run();
    await h.cancel(id, 'alice@example.com', 'oops');
    await h.restart(id, '1');
    expect(await h.execution(id)).toMatchObject({ status: 'RUNNING', canceledBy: null, cancelReason: null, endedAt: null });
    await h.advance(10 * SECOND);
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('restart of a failed precondition fails it again (nothing changed) and the execution ends TERMINAL again', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'restart-fail', stages: [failing('1')] }));
    await h.run();
    await h.advance(MINUTE);
    await h.restart(id, '1');
    expect(await h.execution(id)).toMatchObject({ status: 'TERMINAL', endedAt: h.now });
    expect((await h.stage(id, '1')).meta).toMatchObject({ restartedBy: 'bob@example.com', restartedAt: h.now });
  });
});

describe('a control message sent twice changes nothing the second time', () => {
  type Case = { rule: string; stages: Record<string, unknown>[]; setup?: (h: Harness, id: string) => Promise<void>; message: (h: Harness, id: string) => Message };
  const cases: Case[] = [
    { rule: 'cancelExecution', stages: [judgment('1')], message: (_h, id) => ({ type: 'cancelExecution', executionId: id, user: 'a', reason: 'r' }) },
    {
      rule: 'a judgment (the second, even a different one, finds the stage done)',
      stages: [judgment('1'), wait('2', 100, ['1'])],
      message: (h, id) => ({ type: 'stageInput', executionId: id, stageId: h.stageId(id, '1'), input: { kind: 'judgment', judgmentStatus: 'continue', user: 'a' } }),
    },
    { rule: 'startExecution', stages: [judgment('1')], message: (_h, id) => ({ type: 'startExecution', executionId: id }) },
    {
      rule: 'completeStage',
      stages: [wait('1', 0), judgment('2', ['1'])],
      message: (h, id) => ({ type: 'completeStage', executionId: id, stageId: h.stageId(id, '1') }),
    },
    {
      rule: 'skip wait',
      stages: [wait('1', 100), wait('2', 100, ['1'])],
      message: (h, id) => ({ type: 'stageInput', executionId: id, stageId: h.stageId(id, '1'), input: { kind: 'skipWait', user: 'a' } }),
    },
    {
      rule: 'skip window',
      stages: [judgment('1', [], window13to14)],
      message: (h, id) => ({ type: 'windowOpen', executionId: id, stageId: h.stageId(id, '1'), skippedBy: 'a' }),
    },
    { rule: 'pauseExecution', stages: [judgment('1')], message: (_h, id) => ({ type: 'pauseExecution', executionId: id, user: 'a' }) },
    {
      rule: 'resumeExecution',
      stages: [wait('1', 100)],
      setup: (h, id) => h.pause(id),
      message: (_h, id) => ({ type: 'resumeExecution', executionId: id, user: 'a' }),
    },
    {
      rule: 'restartStage (the second finds the stage running again)',
      stages: [wait('1', 5), judgment('2', ['1'])],
      setup: (h) => h.advance(5 * SECOND),
      message: (h, id) => ({ type: 'restartStage', executionId: id, stageId: h.stageId(id, '1'), user: 'a' }),
    },
    {
      rule: 'checkTimeout after the timeout',
      stages: [judgment('1', [], { stageTimeoutMs: 1000, failPipeline: false }), judgment('2')],
      setup: (h) => h.advance(SECOND),
      message: (h, id) => ({ type: 'checkTimeout', executionId: id, stageId: h.stageId(id, '1') }),
    },
  ];

  it.each(cases)('$rule', async ({ stages, setup, message }) => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'twice', stages }));
    await h.run();
    await setup?.(h, id);
    await h.send(message(h, id));
    const after = await h.snapshot(id);
    h.now += 1; // any write now would move updatedAt
    await h.send(message(h, id));
    expect(await h.snapshot(id)).toEqual(after);
  });
});

describe('a control message that does not apply changes nothing', () => {
  type Case = { rule: string; stages: Record<string, unknown>[]; setup?: (h: Harness, id: string) => Promise<void>; message: (h: Harness, id: string) => Message };
  const stageId = (h: Harness, id: string) => h.stageId(id, '1');
  const cases: Case[] = [
    { rule: 'restart of a stage that is still running', stages: [judgment('1')], message: (h, id) => ({ type: 'restartStage', executionId: id, stageId: stageId(h, id), user: 'a' }) },
    {
      rule: 'restart while the execution is PAUSED',
      stages: [wait('1', 0), judgment('2', ['1'])],
      setup: (h, id) => h.pause(id),
      message: (h, id) => ({ type: 'restartStage', executionId: id, stageId: stageId(h, id), user: 'a' }),
    },
    {
      rule: 'a judgment while the execution is PAUSED',
      stages: [judgment('1')],
      setup: (h, id) => h.pause(id),
      message: (h, id) => ({ type: 'stageInput', executionId: id, stageId: stageId(h, id), input: { kind: 'judgment', judgmentStatus: 'continue', user: 'a' } }),
    },
    { rule: 'skip wait sent to a manual judgment', stages: [judgment('1')], message: (h, id) => ({ type: 'stageInput', executionId: id, stageId: stageId(h, id), input: { kind: 'skipWait', user: 'a' } }) },
    { rule: 'a judgment sent to a wait', stages: [wait('1', 100)], message: (h, id) => ({ type: 'stageInput', executionId: id, stageId: stageId(h, id), input: { kind: 'judgment', judgmentStatus: 'stop', user: 'a' } }) },
    { rule: 'skip window of a stage that is not waiting for one', stages: [judgment('1')], message: (h, id) => ({ type: 'windowOpen', executionId: id, stageId: stageId(h, id), skippedBy: 'a' }) },
    { rule: 'resume of a running execution', stages: [judgment('1')], message: (_h, id) => ({ type: 'resumeExecution', executionId: id, user: 'a' }) },
    { rule: 'pause of a finished execution', stages: [wait('1', 0)], message: (_h, id) => ({ type: 'pauseExecution', executionId: id, user: 'a' }) },
    { rule: 'cancel of a finished execution', stages: [wait('1', 0)], message: (_h, id) => ({ type: 'cancelExecution', executionId: id, user: 'a', reason: 'r' }) },
    { rule: 'an early poll of a wait (its timer is not due)', stages: [wait('1', 100)], message: (h, id) => ({ type: 'runStage', executionId: id, stageId: stageId(h, id) }) },
    { rule: 'a timeout check before the timeout', stages: [judgment('1', [], { stageTimeoutMs: 10_000 })], message: (h, id) => ({ type: 'checkTimeout', executionId: id, stageId: stageId(h, id) }) },
    { rule: 'startStage of a stage whose requisite has not finished', stages: [judgment('0'), wait('1', 0, ['0'])], message: (h, id) => ({ type: 'startStage', executionId: id, stageId: stageId(h, id) }) },
    { rule: 'completeExecution while stages still run', stages: [judgment('1')], message: (_h, id) => ({ type: 'completeExecution', executionId: id }) },
  ];

  it.each(cases)('$rule', async ({ stages, setup, message }) => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'misplaced', stages }));
    await h.run();
    await setup?.(h, id);
    const before = await h.snapshot(id);
    h.now += 1;
    await h.send(message(h, id));
    expect(await h.snapshot(id)).toEqual(before);
  });
});
