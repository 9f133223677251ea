import { describe, expect, it } from 'vitest';
import { Harness, judgment, stage, wait } from '../test/harness.ts';

const options = { name: 'Approve', judgmentInputs: [{ value: 'ship' }, { value: 'rollback' }] };

describe('manual judgment stage', () => {
  it.each([
    { rule: 'continue with an input from the options: SUCCEEDED, the choice recorded, downstream runs', judgmentStatus: 'continue' as const, input: 'ship', status: 'SUCCEEDED', next: 'SUCCEEDED', execution: 'SUCCEEDED', judgmentInput: 'ship' },
    { rule: 'continue without an input: SUCCEEDED with judgmentInput null', judgmentStatus: 'continue' as const, input: undefined, status: 'SUCCEEDED', next: 'SUCCEEDED', execution: 'SUCCEEDED', judgmentInput: null },
    { rule: 'stop with an input: the stage fails (TERMINAL), saying who stopped it and why', judgmentStatus: 'stop' as const, input: 'rollback', status: 'TERMINAL', next: 'NOT_STARTED', execution: 'TERMINAL', judgmentInput: 'rollback' },
  ])('$rule', async ({ judgmentStatus, input, status, next, execution, judgmentInput }) => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'mj', stages: [judgment('1', [], options), wait('2', 0, ['1'])] }));
    await h.run();
    expect(await h.stage(id, '1')).toMatchObject({ status: 'RUNNING', outputs: { judgmentStatus: null } });
    await h.judge(id, '1', judgmentStatus, { input, user: 'alice@example.com' });
    const s = await h.stage(id, '1');
    expect(s.status).toBe(status);
    expect(s.outputs).toEqual({ judgmentStatus, judgmentInput, judgedBy: 'alice@example.com', judgedAt: new Date(h.now).toISOString(), requiredRoles: [] });
    if (judgmentStatus === 'stop') expect(s.error).toEqual({ kind: 'user', message: 'stopped by alice@example.com (rollback)' });
    expect((await h.stage(id, '2')).status).toBe(next);
    expect(await h.status(id)).toBe(execution);
  });

  it('an input outside the judgment options is ignored: the stage keeps waiting, unchanged', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'mj-bad-input', stages: [judgment('1', [], options)] }));
    await h.run();
    const before = await h.snapshot(id);
    h.now += 1;
    await h.judge(id, '1', 'continue', { input: 'yolo' });
    expect(await h.snapshot(id)).toEqual(before);
    await h.judge(id, '1', 'continue', { input: 'ship' });
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('without judgment options any input is taken as given', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'mj-free', stages: [judgment('1')] }));
    await h.run();
    await h.judge(id, '1', 'continue', { input: 'anything goes' });
    expect((await h.stage(id, '1')).outputs).toMatchObject({ judgmentInput: 'anything goes' });
  });

  it("a later stage reads the choice with judgment('Name')", async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({
      name: 'mj-read',
      stages: [judgment('1', [], options), stage('2', 'evaluateVariables', { variables: [{ key: 'choice', value: "${judgment('Approve')}" }] }, ['1'])],
    }));
    await h.run();
    await h.judge(id, '1', 'continue', { input: 'ship' });
    expect((await h.stage(id, '2')).outputs).toEqual({ choice: 'ship' });
  });

  it('selectedStageRoles are reported with the judgment', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'mj-roles', stages: [judgment('1', [], { selectedStageRoles: ['release-managers'] })] }));
    await h.run();
    await h.judge(id, '1', 'continue');
    expect((await h.stage(id, '1')).outputs).toMatchObject({ requiredRoles: ['release-managers'] });
  });
});
