import { describe, expect, it } from 'vitest';
import type { ExecutionStatus } from '../types.ts';
import { failing, Harness, judgment, MINUTE, SECOND, stage, wait } from '../test/harness.ts';

/** A parent pipeline whose stage 1 runs the child pipeline `child`, then stage 2. */
async function family(h: Harness, child: Record<string, unknown>[], parentStage: Record<string, unknown> = {}, siblings: Record<string, unknown>[] = [], childConfig: Record<string, unknown> = {}) {
  const childPipeline = await h.pipeline({ name: 'child', stages: child, ...childConfig });
  const parent = await h.pipeline({ name: 'parent', limitConcurrent: false, stages: [stage('1', 'pipeline', { application: h.app, pipeline: 'child', ...parentStage }), wait('2', 0, ['1']), ...siblings] });
  return { childPipeline, parent };
}
const childOf = async (h: Harness, parentId: string) => (await h.stage(parentId, '1')).outputs.childExecutionId as string;

describe('pipeline stage (child pipelines)', () => {
  it('starts the child as a pipeline trigger of this stage and waits for it to succeed', async () => {
    const h = new Harness();
    const { parent } = await family(h, [wait('1', 30)]);
    const id = await h.start(parent);
    const t0 = h.now;
    await h.run();
    const child = await childOf(h, id);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'RUNNING' });
    expect(await h.execution(child)).toMatchObject({
      status: 'RUNNING',
      parentExecutionId: id,
      trigger: { type: 'pipeline', user: `pipeline:${id}`, parentExecutionId: id, parentStageId: h.stageId(id, '1') },
    });
    await h.advance(30 * SECOND - 1);
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING', '2': 'NOT_STARTED' });
    await h.advance(1);
    // The child's notice ends the stage the moment the child ends, not at the next poll.
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', endedAt: t0 + 30 * SECOND, outputs: { childExecutionId: child, childStatus: 'SUCCEEDED' } });
    expect(await h.execution(id)).toMatchObject({ status: 'SUCCEEDED', endedAt: t0 + 30 * SECOND });
  });

  it.each<{ rule: string; options: Record<string, unknown>; stage: ExecutionStatus; execution: ExecutionStatus }>([
    { rule: 'a failed child fails the parent stage (TERMINAL) and the parent', options: {}, stage: 'TERMINAL', execution: 'TERMINAL' },
    { rule: 'a failed child with failPipeline false on the parent stage: STOPPED, the parent SUCCEEDED', options: { failPipeline: false }, stage: 'STOPPED', execution: 'SUCCEEDED' },
    { rule: 'a failed child with continuePipeline: FAILED_CONTINUE and the parent goes on', options: { continuePipeline: true }, stage: 'FAILED_CONTINUE', execution: 'SUCCEEDED' },
  ])('$rule', async ({ options, stage: stageStatus, execution }) => {
    const h = new Harness();
    const { parent } = await family(h, [wait('1', 5), failing('2', ['1'])], options);
    const id = await h.start(parent);
    await h.run();
    await h.advance(5 * SECOND);
    const child = await childOf(h, id);
    expect(await h.status(child)).toBe('TERMINAL');
    expect(await h.stage(id, '1')).toMatchObject({ status: stageStatus, error: { kind: 'user', message: 'child pipeline ended TERMINAL' }, outputs: { childStatus: 'TERMINAL' } });
    expect(await h.status(id)).toBe(execution);
  });

  it('a child canceled by a person cancels the parent stage, which ends the parent CANCELED at once (its other branches too)', async () => {
    const h = new Harness();
    const { parent } = await family(h, [judgment('1')], {}, [wait('3', 600)]);
    const id = await h.start(parent);
    await h.run();
    await h.cancel(await childOf(h, id), 'alice@example.com', 'no');
    expect(await h.statuses(id)).toEqual({ '1': 'CANCELED', '2': 'NOT_STARTED', '3': 'CANCELED' });
    expect(await h.execution(id)).toMatchObject({ status: 'CANCELED', endedAt: h.now });
  });

  it('canceling the parent cancels the running child, saying why', async () => {
    const h = new Harness();
    const { parent } = await family(h, [judgment('1')]);
    const id = await h.start(parent);
    await h.run();
    const child = await childOf(h, id);
    await h.cancel(id, 'alice@example.com', 'stop everything');
    expect(await h.execution(id)).toMatchObject({ status: 'CANCELED', canceledBy: 'alice@example.com' });
    expect(await h.execution(child)).toMatchObject({ status: 'CANCELED', canceledBy: `pipeline:${id}`, cancelReason: `parent execution ${id} was canceled` });
    expect(await h.statuses(child)).toEqual({ '1': 'CANCELED' });
    // The child's notice reaches a parent stage that is already CANCELED: nothing changes.
    expect(await h.statuses(id)).toEqual({ '1': 'CANCELED', '2': 'NOT_STARTED' });
  });

  it('canceling the parent while its child still waits for admission cancels the waiting child', async () => {
    const h = new Harness();
    const { childPipeline, parent } = await family(h, [judgment('1')]);
    const busy = await h.start(childPipeline);
    await h.run();
    const id = await h.start(parent);
    await h.run();
    const child = await childOf(h, id);
    expect(await h.status(child)).toBe('NOT_STARTED');
    await h.cancel(id);
    expect(await h.execution(child)).toMatchObject({ status: 'CANCELED', canceledBy: `pipeline:${id}` });
    expect(await h.status(busy)).toBe('RUNNING');
  });

  it('a waiting child superseded by a newer one is CANCELED, and so is its parent stage and parent', async () => {
    const h = new Harness();
    const { childPipeline, parent } = await family(h, [judgment('1')]);
    const busy = await h.start(childPipeline);
    await h.run();
    const older = await h.start(parent);
    await h.run();
    h.now += SECOND;
    const newer = await h.start(parent);
    await h.run();
    await h.judge(busy, '1', 'continue');
    expect(await h.status(await childOf(h, older))).toBe('CANCELED');
    expect(await h.status(await childOf(h, newer))).toBe('RUNNING');
    expect(await h.stage(older, '1')).toMatchObject({ status: 'CANCELED', outputs: { childStatus: 'CANCELED' } });
    expect(await h.status(older)).toBe('CANCELED');
    expect(await h.status(newer)).toBe('RUNNING');
  });

  it('waitForCompletion false: the stage succeeds as soon as the child is started', async () => {
    const h = new Harness();
    const { parent } = await family(h, [judgment('1')], { waitForCompletion: false });
    const id = await h.start(parent);
    await h.run();
    const child = await childOf(h, id);
    expect(await h.status(id)).toBe('SUCCEEDED');
    expect(await h.status(child)).toBe('RUNNING');
    await h.judge(child, '1', 'stop');
    expect(await h.status(child)).toBe('TERMINAL');
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it("passes pipelineParameters (expressions evaluated at the stage's start) through the child's parameterConfig defaults", async () => {
    const h = new Harness();
    const { parent } = await family(h, [wait('1', 0)], { pipelineParameters: { env: '${parameters.target}', note: 'from ${execution.id}' } }, [], {
      parameterConfig: [{ name: 'env', required: true }, { name: 'region', default: 'eu-west-1' }],
    });
    const id = await h.start(parent, { parameters: { target: 'prod' } });
    await h.run();
    const child = await childOf(h, id);
    expect((await h.execution(child)).parameters).toEqual({ env: 'prod', region: 'eu-west-1', note: `from ${id}` });
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('a child that cannot start (a required parameter missing) fails the parent stage, naming the parameter', async () => {
    const h = new Harness();
    const { parent } = await family(h, [wait('1', 0)], {}, [], { parameterConfig: [{ name: 'env', required: true }] });
    const id = await h.start(parent);
    await h.run();
    const s = await h.stage(id, '1');
    expect(s.status).toBe('TERMINAL');
    expect(s.error!.message).toMatch(/parameters\.env/);
  });

  it("a lost notice from the child is made up by the stage's slow poll (every 15 s)", async () => {
    const h = new Harness();
    const { parent } = await family(h, [wait('1', 10)]);
    const id = await h.start(parent);
    const t0 = h.now;
    await h.run();
    h.lose = (m) => m.type === 'notifyParent';
    await h.advance(10 * SECOND);
    expect(await h.status(await childOf(h, id))).toBe('SUCCEEDED');
    expect(await h.stage(id, '1')).toMatchObject({ status: 'RUNNING' });
    await h.advance(5 * SECOND);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', endedAt: t0 + 15 * SECOND, outputs: { childStatus: 'SUCCEEDED' } });
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('a pipeline stage that times out cancels its child', async () => {
    const h = new Harness();
    const { parent } = await family(h, [judgment('1')], { stageTimeoutMs: 60_000 });
    const id = await h.start(parent);
    await h.run();
    const child = await childOf(h, id);
    await h.advance(MINUTE);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', outputs: { timedOut: true } });
    expect(await h.execution(child)).toMatchObject({ status: 'CANCELED', canceledBy: `pipeline:${id}` });
    expect(await h.status(id)).toBe('TERMINAL');
  });

  it('a child that ends while the parent is paused is noticed after the resume, by the poll', async () => {
    const h = new Harness();
    const { parent } = await family(h, [wait('1', 10)]);
    const id = await h.start(parent);
    await h.run();
    await h.pause(id);
    await h.advance(MINUTE);
    expect(await h.status(await childOf(h, id))).toBe('SUCCEEDED');
    expect(await h.stage(id, '1')).toMatchObject({ status: 'PAUSED' });
    await h.resume(id);
    await h.advance(15 * SECOND);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', outputs: { childStatus: 'SUCCEEDED' } });
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('restarting an upstream stage cancels the running child and runs the stage again with a new child', async () => {
    const h = new Harness();
    const childPipeline = await h.pipeline({ name: 'child', stages: [judgment('1')] });
    const parent = await h.pipeline({ name: 'parent', stages: [wait('0', 1), stage('1', 'pipeline', { application: h.app, pipeline: 'child' }, ['0'])] });
    void childPipeline;
    const id = await h.start(parent);
    await h.advance(SECOND);
    const first = await childOf(h, id);
    expect(await h.status(first)).toBe('RUNNING');
    await h.advance(MINUTE);
    await h.restart(id, '0');
    expect(await h.execution(first)).toMatchObject({ status: 'CANCELED', canceledBy: `pipeline:${id}` });
    await h.advance(SECOND);
    const second = await childOf(h, id);
    expect(second).not.toBe(first);
    expect(await h.status(second)).toBe('RUNNING');
    await h.judge(second, '1', 'continue');
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('restarting a finished execution upstream of a pipeline stage starts a new child, not the old one again', async () => {
    const h = new Harness();
    await h.pipeline({ name: 'child', stages: [wait('1', 0)] });
    const parent = await h.pipeline({ name: 'parent', stages: [wait('0', 0), stage('1', 'pipeline', { application: h.app, pipeline: 'child' }, ['0'])] });
    const id = await h.start(parent);
    await h.run();
    const first = await childOf(h, id);
    expect(await h.status(id)).toBe('SUCCEEDED');
    h.now += MINUTE;
    await h.restart(id, '0');
    const second = await childOf(h, id);
    expect(second).not.toBe(first);
    expect(await h.status(second)).toBe('SUCCEEDED');
    expect(await h.status(id)).toBe('SUCCEEDED');
  });
});
