/**
 * How any agent-run stage carries out its plan: one task at a time, each queued only after the
 * previous one completed, with the agent's completion notice or the 5 s poll as the way forward;
 * and traffic guards checked at the edge before a guarded task is queued.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { stages as stagesTable } from '../../../db/schema.ts';
import { Harness, MINUTE, SECOND, stage, type FakeAgent, type GroupSpec, type TaskRow } from '../test/harness.ts';

const artifact = { type: 'process', command: 'node', args: ['server.js'] };

async function setup(groups: Record<string, GroupSpec> = {}) {
  const h = new Harness();
  const agent = await h.agent();
  await agent.have(Object.fromEntries(Object.entries(groups).map(([v, spec]) => [`${h.cluster()}-${v}`, spec])));
  return { h, agent, name: (v: string) => `${h.cluster()}-${v}` };
}

const redblack = (h: Harness, agent: FakeAgent, over: Record<string, unknown> = {}, refId = '1') =>
  stage(refId, 'deploy', {
    clusters: [{ account: agent.account, location: agent.location, application: h.app, stack: 'web', strategy: 'redblack', capacity: { min: 2, max: 2, desired: 2 }, artifact, ...over }],
  });

/** A task as `create v002` relative to the harness's `web` cluster, with its status. */
const line = (h: Harness, t: TaskRow) => `${t.operation.replace('ServerGroup', '')} ${String(t.payload.serverGroupName).replace(`${h.cluster()}-`, '')} ${t.status}`;
const lines = async (h: Harness, id: string) => (await h.tasks(id)).map((t) => line(h, t));

describe('carrying out a plan', () => {
  it('each step is queued only after the previous task completed ok', async () => {
    const { h, agent } = await setup({ v001: { up: 2 }, v000: { disabled: true } });
    const id = await h.start(await h.pipeline({ name: 'steps', stages: [redblack(h, agent, { scaleDown: true })] }));
    await h.run();
    expect(await lines(h, id)).toEqual(['create v002 QUEUED']);
    // Time alone moves nothing while the agent has not finished.
    await h.advance(60 * SECOND);
    expect(await lines(h, id)).toEqual(['create v002 QUEUED']);
    await agent.succeed((await h.queued(id))[0]!);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 QUEUED']);
    await agent.succeed((await h.queued(id))[0]!);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 SUCCEEDED', 'resize v001 QUEUED']);
    await agent.succeed((await h.queued(id))[0]!);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 SUCCEEDED', 'resize v001 SUCCEEDED', 'resize v000 QUEUED']);
    await agent.succeed((await h.queued(id))[0]!);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', endedAt: h.now });
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('a new group that never turns healthy fails the stage with the agent message; the disable is never queued and the old group keeps serving', async () => {
    const { h, agent, name } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'unhealthy', stages: [redblack(h, agent), stage('2', 'wait', { waitTime: 0 }, ['1'])] }));
    await h.run();
    await agent.fail((await h.queued(id))[0]!, `${name('v002')} did not become healthy within 120 s (0 of 2 Up)`);
    expect(await h.stage(id, '1')).toMatchObject({
      status: 'TERMINAL',
      error: { kind: 'user', message: `create ${name('v002')} failed: ${name('v002')} did not become healthy within 120 s (0 of 2 Up)` },
    });
    await h.advance(60 * SECOND);
    expect(await lines(h, id)).toEqual(['create v002 FAILED']);
    expect(await h.statuses(id)).toEqual({ '1': 'TERMINAL', '2': 'NOT_STARTED' });
    expect(await h.status(id)).toBe('TERMINAL');
    expect(agent.groups.get(`here/${name('v001')}`)).toMatchObject({ disabled: false });
  });

  it('a failed middle step stops the plan: nothing after it is queued', async () => {
    const { h, agent, name } = await setup({ v001: { up: 2 }, v000: { up: 1 } });
    const id = await h.start(await h.pipeline({ name: 'middle', stages: [redblack(h, agent, { maxRemainingAsgs: 1 })] }));
    await h.run();
    await agent.succeed((await h.queued(id))[0]!);
    await agent.fail((await h.queued(id))[0]!, 'load balancer refused the change');
    expect((await h.stage(id, '1')).error).toEqual({ kind: 'user', message: `disable ${name('v001')} failed: load balancer refused the change` });
    await h.advance(60 * SECOND);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 FAILED']);
    expect((await h.stage(id, '1')).outputs).toMatchObject({ deployedServerGroups: [name('v002')], tasks: [{ label: `create ${name('v002')}` }] });
  });

  it("a failed step's onFailure steps run one at a time under the next step indexes; the stage fails with the step's error once they finish", async () => {
    // A rolling red/black's steps carry their rollback: fail the resize after the 50% disable.
    const { h, agent, name } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'undo', stages: [redblack(h, agent, { strategy: 'rollingredblack', targetPercentages: [50] })] }));
    await h.run();
    await agent.succeed((await h.queued(id))[0]!);
    await agent.succeed((await h.queued(id))[0]!);
    await agent.fail((await h.queued(id))[0]!, 'never healthy');
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 SUCCEEDED', 'resize v002 FAILED', 'enable v001 QUEUED']);
    expect((await h.stage(id, '1')).status).toBe('RUNNING');
    await h.advance(60 * SECOND);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 SUCCEEDED', 'resize v002 FAILED', 'enable v001 QUEUED']);
    await agent.succeed((await h.queued(id))[0]!);
    expect((await h.stage(id, '1')).status).toBe('RUNNING');
    await agent.succeed((await h.queued(id))[0]!);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 SUCCEEDED', 'resize v002 FAILED', 'enable v001 SUCCEEDED', 'disable v002 SUCCEEDED']);
    expect((await h.tasks(id)).map((t) => t.idempotencyKey)).toEqual([0, 1, 2, 3, 4].map((n) => `${id}:1:0:${n}`));
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', message: `resize ${name('v002')} to 100% failed: never healthy` } });
    await h.advance(60 * SECOND);
    expect(await h.tasks(id)).toHaveLength(5);
  });

  it('the 5 s poll picks up a completion whose notice was lost', async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'lost', stages: [redblack(h, agent)] }));
    await h.run();
    const t0 = h.now;
    await h.advance(2 * SECOND);
    await agent.succeed((await h.queued(id))[0]!, { lost: true });
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED']);
    await h.advance(t0 + 5 * SECOND - 1 - h.now);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED']);
    await h.advance(1);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 QUEUED']);
  });

  it('the poll picks up a lost failure notice too, and fails the stage with the agent message', async () => {
    const { h, agent, name } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'lost-fail', stages: [redblack(h, agent)] }));
    await h.run();
    await agent.fail((await h.queued(id))[0]!, 'port in use', { lost: true });
    expect((await h.stage(id, '1')).status).toBe('RUNNING');
    await h.advance(5 * SECOND);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', error: { message: `create ${name('v002')} failed: port in use` } });
  });

  it('a duplicate taskCompleted for an earlier task, or one for a task of no step, changes nothing', async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'dup', stages: [redblack(h, agent, { scaleDown: true })] }));
    await h.run();
    const create = (await h.queued(id))[0]!;
    await agent.succeed(create);
    const before = await h.snapshot(id);
    const stageId = h.stageId(id, '1');
    for (const taskId of [create.id, 'no-such-task']) {
      await h.send({ type: 'stageInput', executionId: id, stageId, input: { kind: 'taskCompleted', taskId, ok: true, result: { serverGroup: null, details: {} } } });
      await h.send({ type: 'stageInput', executionId: id, stageId, input: { kind: 'taskCompleted', taskId, ok: false, result: { serverGroup: null, details: { error: 'late' } } } });
    }
    expect(await h.snapshot(id)).toEqual(before);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 QUEUED']);
  });

  it('a completion notice that arrives while the execution is paused is dropped; after resume the poll picks the outcome up', async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'paused', stages: [redblack(h, agent)] }));
    await h.run();
    await h.pause(id);
    await agent.succeed((await h.queued(id))[0]!);
    await h.advance(30 * SECOND);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED']);
    await h.resume(id);
    await h.advance(5 * SECOND);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 QUEUED']);
  });

  it('canceling the execution cancels the queued task (row CANCELED) and the stage; the plan goes no further', async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'cancel', stages: [redblack(h, agent)] }));
    await h.run();
    await agent.succeed((await h.queued(id))[0]!);
    await h.advance(SECOND);
    await h.cancel(id);
    const tasks = await h.tasks(id);
    expect(tasks.map((t) => line(h, t))).toEqual(['create v002 SUCCEEDED', 'disable v001 CANCELED']);
    expect(tasks[1]!.updatedAt).toBe(h.now);
    expect(await h.statuses(id)).toEqual({ '1': 'CANCELED' });
    expect(await h.status(id)).toBe('CANCELED');
    await h.advance(60 * SECOND);
    expect(await h.tasks(id)).toHaveLength(2);
  });

  it('a stage timeout cancels its queued task', async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'timeout', stages: [{ ...redblack(h, agent), stageTimeoutMs: 30_000 }] }));
    await h.run();
    await h.advance(30 * SECOND);
    expect(await lines(h, id)).toEqual(['create v002 CANCELED']);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', error: { message: 'stage timed out after 30 s' } });
  });

  it('idempotency keys are <stage id>:<restartedAt or 0>:<step index>', async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'keys', stages: [redblack(h, agent)] }));
    await h.run();
    await agent.work(id);
    expect((await h.tasks(id)).map((t) => t.idempotencyKey)).toEqual([`${id}:1:0:0`, `${id}:1:0:1`]);
  });

  it('restarting the stage queues new tasks under new keys; the earlier run keeps its own', async () => {
    const { h, agent, name } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'restart', stages: [redblack(h, agent)] }));
    await h.run();
    await agent.fail((await h.queued(id))[0]!, 'out of ports');
    await h.advance(MINUTE);
    const restartedAt = h.now;
    await h.restart(id, '1');
    const tasks = await h.tasks(id);
    expect(tasks.map((t) => [t.idempotencyKey, t.status, t.payload.serverGroupName])).toEqual([
      [`${id}:1:0:0`, 'FAILED', name('v002')],
      [`${id}:1:${restartedAt}:0`, 'QUEUED', name('v002')],
    ]);
    await agent.work(id);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect((await h.tasks(id)).map((t) => t.idempotencyKey)).toEqual([`${id}:1:0:0`, `${id}:1:${restartedAt}:0`, `${id}:1:${restartedAt}:1`]);
  });

  it('a repeated start of the same run (its commit lost after the task was queued) finds the same task, not a second one', async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'again', stages: [redblack(h, agent)] }));
    await h.run();
    const [first] = await h.tasks(id);
    // As if the runner crashed after queueing but before committing: the stage is back to NOT_STARTED.
    await h.db.update(stagesTable).set({ status: 'NOT_STARTED', startedAt: null, meta: {}, outputs: {} }).where(eq(stagesTable.id, h.stageId(id, '1'))).run();
    await h.send({ type: 'startStage', executionId: id, stageId: h.stageId(id, '1') });
    const tasks = await h.tasks(id);
    expect(tasks).toHaveLength(1);
    expect((await h.stage(id, '1')).meta).toMatchObject({ state: { plan: { cursor: 0, taskId: first!.id } } });
    await agent.work(id);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('traffic guards at the edge', () => {
  const guard = (over: Record<string, unknown> = {}) => ({ account: '*', location: '*', stack: 'web', detail: '', ...over });
  const op = (h: Harness, agent: FakeAgent, type: string, extra: Record<string, unknown>) =>
    stage('1', type, { account: agent.account, location: agent.location, cluster: h.cluster(), ...extra });

  const ops = [
    { what: 'disableServerGroup', type: 'disableServerGroup', extra: {}, verb: 'disabling' },
    { what: 'destroyServerGroup', type: 'destroyServerGroup', extra: {}, verb: 'destroying' },
    { what: 'resizeServerGroup to 0', type: 'resizeServerGroup', extra: { action: 'scale_exact', capacity: { min: 0, max: 2, desired: 0 } }, verb: 'resizing' },
    { what: 'disableCluster keeping none', type: 'disableCluster', extra: { remainingEnabledServerGroups: 0 }, verb: 'disabling' },
  ];

  it.each(ops)('$what that would leave no Up instances is refused before its task is queued, naming the guard and the cluster', async ({ type, extra, verb }) => {
    const { h, agent, name } = await setup({ v001: { up: 2 }, v000: { disabled: true, up: 2 } });
    await h.guards([guard({ account: agent.account })]);
    const id = await h.start(await h.pipeline({ name: 'guarded', stages: [op(h, agent, type, extra)] }));
    await h.run();
    const s = await h.stage(id, '1');
    expect(s.status).toBe('TERMINAL');
    expect(s.error).toMatchObject({ kind: 'user' });
    expect(s.error!.message).toContain(`traffic guard {account: ${agent.account}, location: *, stack: "web", detail: ""} protects cluster "${h.cluster()}" in ${agent.account}/here`);
    expect(s.error!.message).toContain(`${verb} ${name('v001')}`);
    expect(s.error!.message).toContain('would leave it with no Up instances');
    expect(await h.tasks(id)).toEqual([]);
  });

  it.each(ops)('$what proceeds when another enabled group has Up instances', async ({ type, extra }) => {
    const { h, agent } = await setup({ v001: { up: 2 }, v000: { up: 1 } });
    await h.guards([guard()]);
    const extraFor = type === 'disableCluster' ? { remainingEnabledServerGroups: 1 } : extra;
    const id = await h.start(await h.pipeline({ name: 'ok', stages: [op(h, agent, type, extraFor)] }));
    await h.run();
    expect(await h.queued(id)).toHaveLength(1);
  });

  it.each([
    { rule: 'a disabled guard', guards: [guard({ enabled: false })] },
    { rule: 'a guard on another stack', guards: [guard({ stack: 'api' })] },
    { rule: 'a guard on another account', guards: [guard({ account: 'elsewhere' })] },
    { rule: 'no guard at all', guards: [] },
  ])('$rule does not stop the last serving group being disabled', async ({ guards }) => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    await h.guards(guards);
    const id = await h.start(await h.pipeline({ name: 'unguarded', stages: [op(h, agent, 'disableServerGroup', {})] }));
    await h.run();
    expect(await h.queued(id)).toHaveLength(1);
  });

  it('a guarded cluster with no Up instances now is not checked (there is no traffic to protect)', async () => {
    const { h, agent } = await setup({ v001: { up: 0, other: ['Down', 'Starting'] } });
    await h.guards([guard()]);
    const id = await h.start(await h.pipeline({ name: 'down', stages: [op(h, agent, 'destroyServerGroup', {})] }));
    await h.run();
    expect(await h.queued(id)).toHaveLength(1);
  });

  it("red/black: the new group as the create reported it counts (before inventory shows it), so the old group's disable passes", async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    await h.guards([guard()]);
    const id = await h.start(await h.pipeline({ name: 'overlay', stages: [redblack(h, agent)] }));
    await h.run();
    await agent.succeed((await h.queued(id))[0]!, { report: false });
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'disable v001 QUEUED']);
  });

  it('red/black: a new group reported without Up instances does not count; the disable is refused and never queued', async () => {
    const { h, agent, name } = await setup({ v001: { up: 2 } });
    await h.guards([guard()]);
    const id = await h.start(await h.pipeline({ name: 'not-up', stages: [redblack(h, agent)] }));
    await h.run();
    await agent.succeed((await h.queued(id))[0]!, { report: false, health: 'Starting' });
    const s = await h.stage(id, '1');
    expect(s).toMatchObject({ status: 'TERMINAL', error: { kind: 'user' } });
    expect(s.error!.message).toContain(`disabling ${name('v001')} would leave it with no Up instances`);
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED']);
  });

  it('a group this plan destroyed no longer counts, though inventory still lists it', async () => {
    // Highlander with a new group of 0 instances: destroying v001 is fine while v000 serves, but once
    // v000 is destroyed too, nothing would serve.
    const { h, agent, name } = await setup({ v001: { up: 1 }, v000: { up: 1 } });
    await h.guards([guard()]);
    const id = await h.start(await h.pipeline({ name: 'destroyed', stages: [redblack(h, agent, { strategy: 'highlander', capacity: { min: 0, max: 2, desired: 0 } })] }));
    await h.run();
    await agent.work(id, { report: false });
    expect(await lines(h, id)).toEqual(['create v002 SUCCEEDED', 'destroy v001 SUCCEEDED']);
    expect((await h.stage(id, '1')).error!.message).toContain(`destroying ${name('v000')} would leave it with no Up instances`);
  });

  it('what another cluster of the same deploy reported does not count toward this cluster', async () => {
    const { h, agent, name } = await setup({ v001: { up: 2 } });
    await agent.have({ [`${h.cluster('api')}-v001`]: { up: 2 } });
    await h.guards([guard({ stack: '*' })]);
    const cluster = (stack: string) => ({ account: agent.account, location: 'here', application: h.app, stack, strategy: 'redblack', capacity: { min: 2, max: 2, desired: 2 }, artifact });
    const id = await h.start(await h.pipeline({ name: 'two', stages: [stage('1', 'deploy', { clusters: [cluster('api'), cluster('web')] })] }));
    await h.run();
    await agent.succeed((await h.queued(id))[0]!, { report: false }); // api v002, Up
    await agent.succeed((await h.queued(id))[0]!, { report: false }); // api v001 disabled
    await agent.succeed((await h.queued(id))[0]!, { report: false, health: 'Starting' }); // web v002, not Up
    expect((await h.stage(id, '1')).error?.message).toContain(`disabling ${name('v001')} would leave it with no Up instances`);
    expect((await h.tasks(id)).map((t) => t.payload.serverGroupName)).toEqual([`${h.cluster('api')}-v002`, `${h.cluster('api')}-v001`, name('v002')]);
  });
});
