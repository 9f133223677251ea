/**
 * The engine's rules end to end: handlers over the real D1, a clock the test moves. Each test
 * name states the rule it pins. Stage-type, control, admission and window rules have files of
 * their own beside this one.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionStatus } from './types.ts';
import { DAY, failing, Harness, HOUR, judgment, MINUTE, SECOND, stage, wait } from './test/harness.ts';

type Statuses = Record<string, ExecutionStatus>;

describe('the stage DAG', () => {
  interface Step { atS: number; stages: Statuses; execution: ExecutionStatus }
  const cases: { rule: string; stages: Record<string, unknown>[]; steps: Step[]; startedAtS: Record<string, number> }[] = [
    {
      rule: 'serial: each stage starts when its requisite succeeds',
      stages: [wait('1', 10), wait('2', 5, ['1']), wait('3', 0, ['2'])],
      steps: [
        { atS: 0, stages: { '1': 'RUNNING', '2': 'NOT_STARTED', '3': 'NOT_STARTED' }, execution: 'RUNNING' },
        { atS: 10, stages: { '1': 'SUCCEEDED', '2': 'RUNNING', '3': 'NOT_STARTED' }, execution: 'RUNNING' },
        { atS: 15, stages: { '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED' }, execution: 'SUCCEEDED' },
      ],
      startedAtS: { '1': 0, '2': 10, '3': 15 },
    },
    {
      rule: 'parallel: stages without requisites all start at once and run side by side',
      stages: [wait('1', 5), wait('2', 10)],
      steps: [
        { atS: 0, stages: { '1': 'RUNNING', '2': 'RUNNING' }, execution: 'RUNNING' },
        { atS: 5, stages: { '1': 'SUCCEEDED', '2': 'RUNNING' }, execution: 'RUNNING' },
        { atS: 10, stages: { '1': 'SUCCEEDED', '2': 'SUCCEEDED' }, execution: 'SUCCEEDED' },
      ],
      startedAtS: { '1': 0, '2': 0 },
    },
    {
      rule: 'diamond: the join starts only when both branches are done',
      stages: [wait('1', 0), wait('2', 5, ['1']), wait('3', 10, ['1']), wait('4', 0, ['2', '3'])],
      steps: [
        { atS: 0, stages: { '1': 'SUCCEEDED', '2': 'RUNNING', '3': 'RUNNING', '4': 'NOT_STARTED' }, execution: 'RUNNING' },
        { atS: 5, stages: { '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'RUNNING', '4': 'NOT_STARTED' }, execution: 'RUNNING' },
        { atS: 10, stages: { '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED', '4': 'SUCCEEDED' }, execution: 'SUCCEEDED' },
      ],
      startedAtS: { '1': 0, '2': 0, '3': 0, '4': 10 },
    },
    {
      rule: 'several roots: independent sub-graphs run side by side; the execution ends when the last does',
      stages: [wait('1', 5), wait('2', 10), wait('3', 1, ['1', '2']), wait('4', 20), wait('5', 0, ['4'])],
      steps: [
        { atS: 0, stages: { '1': 'RUNNING', '2': 'RUNNING', '3': 'NOT_STARTED', '4': 'RUNNING', '5': 'NOT_STARTED' }, execution: 'RUNNING' },
        { atS: 10, stages: { '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'RUNNING', '4': 'RUNNING', '5': 'NOT_STARTED' }, execution: 'RUNNING' },
        { atS: 11, stages: { '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED', '4': 'RUNNING', '5': 'NOT_STARTED' }, execution: 'RUNNING' },
        { atS: 20, stages: { '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED', '4': 'SUCCEEDED', '5': 'SUCCEEDED' }, execution: 'SUCCEEDED' },
      ],
      startedAtS: { '1': 0, '2': 0, '3': 10, '4': 0, '5': 20 },
    },
  ];

  it.each(cases)('$rule', async ({ stages, steps, startedAtS }) => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'dag', stages }));
    const t0 = h.now;
    await h.run();
    for (const step of steps) {
      await h.advance(t0 + step.atS * SECOND - h.now);
      expect(await h.statuses(id), `at ${step.atS} s`).toEqual(step.stages);
      expect(await h.status(id), `at ${step.atS} s`).toBe(step.execution);
    }
    for (const [refId, s] of Object.entries(startedAtS)) expect((await h.stage(id, refId)).startedAt, `stage ${refId} startedAt`).toBe(t0 + s * SECOND);
    const e = await h.execution(id);
    expect(e.startedAt).toBe(t0);
    expect(e.endedAt).toBe(t0 + steps.at(-1)!.atS * SECOND);
  });

  it('a join whose upstreams finish in the same instant starts exactly once: only one startStage changes anything', async () => {
    const h = new Harness({ batchSteps: 0 });
    h.trace = true; // one commit per message, so each can be judged
    const id = await h.start(await h.pipeline({ name: 'join', stages: [wait('1', 0), wait('2', 0, ['1']), wait('3', 0, ['1']), wait('4', 7, ['2', '3'])] }));
    const t0 = h.now;
    await h.run();
    const join = h.stageId(id, '4');
    const starts = h.traced.filter((t) => t.message.type === 'startStage' && t.message.stageId === join);
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(starts.filter((t) => t.changed)).toHaveLength(1);
    expect((await h.stage(id, '4')).startedAt).toBe(t0);
    await h.advance(7 * SECOND);
    expect(await h.status(id)).toBe('SUCCEEDED');
    // One run of the join: one start, one end of its single wait, and no other write.
    const writes = h.traced.filter((t) => 'stageId' in t.message && t.message.stageId === join && t.changed).map((t) => t.message.type);
    expect(writes).toEqual(['startStage', 'runStage']);
    expect((await h.stage(id, '4')).endedAt).toBe(t0 + 7 * SECOND);
  });

  it('an execution with no stages ends SUCCEEDED at once', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'empty', stages: [] }));
    await h.run();
    expect(await h.execution(id)).toMatchObject({ status: 'SUCCEEDED', startedAt: h.now, endedAt: h.now });
  });
});

describe('stage failure options (Orca Stage.failureStatus and final status)', () => {
  // Branch A: wait 10 s, then F fails, then A2 (5 s). Branch B: a 30 s wait beside it.
  const how = {
    'a false precondition': { stage: (extra: Record<string, unknown>) => failing('F', ['A'], extra), fail: async () => {} },
    'a manual judgment stopped': {
      stage: (extra: Record<string, unknown>) => judgment('F', ['A'], extra),
      fail: (h: Harness, id: string) => h.judge(id, 'F', 'stop'),
    },
  } as const;
  const cases: { rule: string; options: Record<string, unknown>; at10: Statuses; executionAt10: ExecutionStatus; final: Statuses; execution: ExecutionStatus; endedAtS: number }[] = [
    {
      rule: 'failPipeline absent → TERMINAL: the execution is TERMINAL at once and the running sibling branch CANCELED',
      options: {},
      at10: { A: 'SUCCEEDED', F: 'TERMINAL', A2: 'NOT_STARTED', B: 'CANCELED' }, executionAt10: 'TERMINAL',
      final: { A: 'SUCCEEDED', F: 'TERMINAL', A2: 'NOT_STARTED', B: 'CANCELED' }, execution: 'TERMINAL', endedAtS: 10,
    },
    {
      rule: 'failPipeline true → TERMINAL: the execution is TERMINAL at once and the running sibling branch CANCELED',
      options: { failPipeline: true },
      at10: { A: 'SUCCEEDED', F: 'TERMINAL', A2: 'NOT_STARTED', B: 'CANCELED' }, executionAt10: 'TERMINAL',
      final: { A: 'SUCCEEDED', F: 'TERMINAL', A2: 'NOT_STARTED', B: 'CANCELED' }, execution: 'TERMINAL', endedAtS: 10,
    },
    {
      rule: 'failPipeline false → STOPPED: its branch halts, the other branch runs on, the execution ends SUCCEEDED',
      options: { failPipeline: false },
      at10: { A: 'SUCCEEDED', F: 'STOPPED', A2: 'NOT_STARTED', B: 'RUNNING' }, executionAt10: 'RUNNING',
      final: { A: 'SUCCEEDED', F: 'STOPPED', A2: 'NOT_STARTED', B: 'SUCCEEDED' }, execution: 'SUCCEEDED', endedAtS: 30,
    },
    {
      rule: 'continuePipeline → FAILED_CONTINUE: downstream runs and the execution ends SUCCEEDED',
      options: { continuePipeline: true },
      at10: { A: 'SUCCEEDED', F: 'FAILED_CONTINUE', A2: 'RUNNING', B: 'RUNNING' }, executionAt10: 'RUNNING',
      final: { A: 'SUCCEEDED', F: 'FAILED_CONTINUE', A2: 'SUCCEEDED', B: 'SUCCEEDED' }, execution: 'SUCCEEDED', endedAtS: 30,
    },
    {
      rule: 'completeOtherBranchesThenFail → STOPPED: other branches finish, then the execution is TERMINAL',
      options: { completeOtherBranchesThenFail: true },
      at10: { A: 'SUCCEEDED', F: 'STOPPED', A2: 'NOT_STARTED', B: 'RUNNING' }, executionAt10: 'RUNNING',
      final: { A: 'SUCCEEDED', F: 'STOPPED', A2: 'NOT_STARTED', B: 'SUCCEEDED' }, execution: 'TERMINAL', endedAtS: 30,
    },
  ];
  const table = Object.keys(how).flatMap((kind) => cases.map((c) => ({ ...c, kind: kind as keyof typeof how })));

  it.each(table)('$kind: $rule', async ({ kind, options, at10, executionAt10, final, execution, endedAtS }) => {
    const h = new Harness();
    const stages = [wait('A', 10), how[kind].stage(options), wait('A2', 5, ['F']), wait('B', 30)];
    const id = await h.start(await h.pipeline({ name: 'failure', stages }));
    const t0 = h.now;
    await h.run();
    await h.advance(10 * SECOND);
    await how[kind].fail(h, id);
    expect(await h.statuses(id)).toEqual(at10);
    expect(await h.status(id)).toBe(executionAt10);
    const f = await h.stage(id, 'F');
    expect(f.error).toMatchObject({ kind: 'user' });
    expect(f.endedAt).toBe(t0 + 10 * SECOND);
    await h.advance(30 * SECOND);
    expect(await h.statuses(id)).toEqual(final);
    expect(await h.execution(id)).toMatchObject({ status: execution, endedAt: t0 + endedAtS * SECOND });
  });

  it('a canceled sibling keeps the time it was canceled as endedAt and the error of the failure stays on the failed stage only', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'sibling', stages: [wait('A', 10), failing('F', ['A']), judgment('B')] }));
    const t0 = h.now;
    await h.run();
    await h.advance(10 * SECOND);
    expect(await h.stage(id, 'B')).toMatchObject({ status: 'CANCELED', endedAt: t0 + 10 * SECOND, error: null });
    expect((await h.stage(id, 'F')).error).toMatchObject({ kind: 'user', field: 'preconditions[0]' });
  });
});

describe('stage timeouts (stageTimeoutMs)', () => {
  it.each([
    { rule: 'past stageTimeoutMs a stage is TERMINAL, and so is the execution', extra: { stageTimeoutMs: 5000 }, status: 'TERMINAL', execution: 'TERMINAL', next: 'NOT_STARTED' },
    { rule: 'with markSuccessfulOnTimeout a timed-out stage is SUCCEEDED and downstream runs', extra: { stageTimeoutMs: 5000, markSuccessfulOnTimeout: true }, status: 'SUCCEEDED', execution: 'SUCCEEDED', next: 'SUCCEEDED' },
    { rule: 'a timeout is a failure like any other: failPipeline false makes it STOPPED', extra: { stageTimeoutMs: 5000, failPipeline: false }, status: 'STOPPED', execution: 'SUCCEEDED', next: 'NOT_STARTED' },
  ])('$rule', async ({ extra, status, execution, next }) => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'timeout', stages: [judgment('1', [], extra), wait('2', 0, ['1'])] }));
    await h.run();
    await h.advance(5000 - 1);
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING', '2': 'NOT_STARTED' });
    await h.advance(1);
    const s = await h.stage(id, '1');
    expect(s.status).toBe(status);
    expect(s.outputs).toMatchObject({ timedOut: true });
    if (status !== 'SUCCEEDED') expect(s.error).toMatchObject({ kind: 'user', message: 'stage timed out after 5 s' });
    expect((await h.stage(id, '2')).status).toBe(next);
    expect(await h.status(id)).toBe(execution);
  });

  it('a manual judgment without stageTimeoutMs times out after its default of 3 days', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'mj', stages: [judgment('1')] }));
    await h.run();
    await h.advance(3 * DAY - 1);
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING' });
    await h.advance(1);
    expect(await h.statuses(id)).toEqual({ '1': 'TERMINAL' });
    expect(await h.status(id)).toBe('TERMINAL');
  });

  it('time paused does not count: two pauses push the timeout back by exactly their length', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'paused-timeout', stages: [judgment('1', [], { stageTimeoutMs: 10_000 })] }));
    await h.run();
    await h.advance(4 * SECOND); // 4 s counted
    await h.pause(id);
    await h.advance(30 * SECOND); // well past the timeout, all paused
    expect(await h.statuses(id)).toEqual({ '1': 'PAUSED' });
    await h.resume(id);
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING' });
    await h.advance(2 * SECOND); // 6 s counted
    await h.pause(id);
    await h.advance(100 * SECOND);
    await h.resume(id);
    expect((await h.stage(id, '1')).meta).toMatchObject({ pausedMs: 130_000 });
    await h.advance(4 * SECOND - 1); // 10 s - 1 ms counted
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING' });
    await h.advance(1);
    expect(await h.statuses(id)).toEqual({ '1': 'TERMINAL' });
  });

  it('time spent waiting for an execution window does not count toward the timeout', async () => {
    const h = new Harness(); // 12:00 UTC
    const window = { restrictExecutionDuringTimeWindow: true, restrictedExecutionWindow: { whitelist: [{ startHour: 13, startMin: 0, endHour: 14, endMin: 0 }] } };
    const id = await h.start(await h.pipeline({ name: 'window-timeout', stages: [judgment('1', [], { stageTimeoutMs: 10 * MINUTE, ...window })] }));
    await h.run();
    expect(await h.statuses(id)).toEqual({ '1': 'SUSPENDED' });
    await h.advance(HOUR + 10 * MINUTE - 1);
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING' });
    expect((await h.stage(id, '1')).meta).toMatchObject({ windowWaitMs: HOUR });
    await h.advance(1);
    expect(await h.statuses(id)).toEqual({ '1': 'TERMINAL' });
  });
});

describe('optional stages (stageEnabled)', () => {
  const gated = (expression: string) => wait('2', 0, ['1'], { name: 'Gated', stageEnabled: { type: 'expression', expression } });
  it.each([
    { rule: 'an expression that is false skips the stage and downstream still runs', expression: "${parameters.deploy == 'yes'}", deploy: 'no', status: 'SKIPPED' },
    { rule: 'an expression that is true runs the stage', expression: "${parameters.deploy == 'yes'}", deploy: 'yes', status: 'SUCCEEDED' },
    { rule: 'an expression may be written without ${ }', expression: "parameters.deploy == 'yes'", deploy: 'yes', status: 'SUCCEEDED' },
    { rule: 'the string "true" counts as true', expression: '${parameters.deploy}', deploy: 'true', status: 'SUCCEEDED' },
    { rule: 'anything but true or "true" skips', expression: '${parameters.deploy}', deploy: 'yes', status: 'SKIPPED' },
    { rule: "it is evaluated when the stage starts, so it sees earlier stages' outputs", expression: "${stage('Vars').outputs.go}", deploy: 'no', status: 'SUCCEEDED' },
  ])('$rule', async ({ expression, deploy, status }) => {
    const h = new Harness();
    const stages = [stage('1', 'evaluateVariables', { name: 'Vars', variables: [{ key: 'go', value: true }] }), gated(expression), wait('3', 0, ['2'])];
    const id = await h.start(await h.pipeline({ name: 'optional', stages }), { parameters: { deploy } });
    await h.run();
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': status, '3': 'SUCCEEDED' });
    expect(await h.status(id)).toBe('SUCCEEDED');
    expect((await h.stage(id, '2')).startedAt).toBe(h.now);
  });

  it.each([
    { rule: 'an unknown name', expression: '${nope.x}' },
    { rule: 'an unknown stage', expression: "${stage('Missing').status == 'SUCCEEDED'}" },
    { rule: 'bad syntax', expression: '${parameters.deploy ==}' },
  ])('a stageEnabled expression that fails ($rule) fails the stage with error.field stageEnabled.expression and the expression', async ({ expression }) => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'optional-bad', stages: [wait('1', 0), gated(expression), wait('3', 0, ['2'])] }), { parameters: { deploy: 'no' } });
    await h.run();
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': 'TERMINAL', '3': 'NOT_STARTED' });
    const error = (await h.stage(id, '2')).error!;
    expect(error).toMatchObject({ kind: 'user', field: 'stageEnabled.expression', expression });
    expect(error.message).toMatch(/^stageEnabled: ./);
    expect(await h.status(id)).toBe('TERMINAL');
  });
});

describe('stage types', () => {
  it('a stage type the edge cannot run yet (agent work) fails with an internal error naming the type', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'agent', stages: [stage('1', 'runJob', { account: 'prod', location: 'eu', command: 'true' })] }));
    await h.run();
    const s = await h.stage(id, '1');
    expect(s.status).toBe('TERMINAL');
    expect(s.error).toMatchObject({ kind: 'internal' });
    expect(s.error!.message).toContain('"runJob"');
  });

  it('a server-group stage aimed at a cluster with no server groups fails with a user error before any task is queued', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'agent', stages: [stage('1', 'enableServerGroup', { account: 'prod', location: 'eu', cluster: 'web' })] }));
    await h.run();
    const s = await h.stage(id, '1');
    expect(s.status).toBe('TERMINAL');
    expect(s.error).toMatchObject({ kind: 'user', field: 'target' });
    expect(s.error!.message).toContain('no');
  });
});

describe('messages that find nothing to act on', () => {
  it('a message for an execution that does not exist is dropped and logged', async () => {
    const h = new Harness();
    await h.send({ type: 'startStage', executionId: 'no-such-execution', stageId: 'no-such-execution:1' });
    await h.send({ type: 'cancelExecution', executionId: 'no-such-execution', user: 'x', reason: 'y' });
    expect(h.logs.filter((l) => l.event === 'message.dropped')).toHaveLength(2);
    expect(h.logs[0]!.fields).toMatchObject({ executionId: 'no-such-execution', reason: 'no such execution' });
    expect(h.pendingCount()).toBe(0);
  });

  it.each(['startStage', 'runStage', 'checkTimeout', 'completeStage', 'windowOpen'] as const)('a %s naming a stage the execution does not have changes nothing', async (type) => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'ghost', stages: [judgment('1')] }));
    await h.run();
    const before = await h.snapshot(id);
    h.now += SECOND;
    await h.send({ type, executionId: id, stageId: `${id}:ghost` });
    expect(await h.snapshot(id)).toEqual(before);
  });
});
