/** enableServerGroup, disableServerGroup, resizeServerGroup, destroyServerGroup: one operation on the group a target selects. */
import { describe, expect, it } from 'vitest';
import { Harness, stage, type GroupSpec } from '../test/harness.ts';

// v000 oldest and disabled, v001 disabled, v002 newest and serving.
const cluster: Record<string, GroupSpec> = {
  v000: { disabled: true, up: 1, min: 1, max: 4 },
  v001: { disabled: true, up: 2, min: 2, max: 4 },
  v002: { up: 3, min: 2, max: 6 },
};

type Extra = Record<string, unknown> | ((name: (v: string) => string) => Record<string, unknown>);

/** Runs one stage of `type` on the harness's `web` cluster; `extra` may name groups with `name('v001')`. */
async function run(type: string, extra: Extra, groups: Record<string, GroupSpec> = cluster) {
  const h = new Harness();
  const agent = await h.agent();
  const name = (v: string) => `${h.cluster()}-${v}`;
  await agent.have(Object.fromEntries(Object.entries(groups).map(([v, spec]) => [name(v), spec])));
  const config = {
    name: type,
    parameterConfig: [{ name: 'n', default: '1' }],
    stages: [stage('1', type, { account: agent.account, location: 'here', cluster: h.cluster(), ...(typeof extra === 'function' ? extra(name) : extra) })],
  };
  const id = await h.start(await h.pipeline(config));
  await h.run();
  return { h, agent, id, name, tasks: await h.tasks(id), stage: await h.stage(id, '1') };
}

describe('server group stages: the target', () => {
  const cases = [
    { target: 'current_asg_dynamic', picks: 'v002' },
    { target: 'ancestor_asg_dynamic', picks: 'v001' },
    { target: 'oldest_asg_dynamic', picks: 'v000' },
  ];
  const types = [
    { type: 'enableServerGroup', operation: 'enableServerGroup' },
    { type: 'disableServerGroup', operation: 'disableServerGroup' },
    { type: 'destroyServerGroup', operation: 'destroyServerGroup' },
    { type: 'resizeServerGroup', operation: 'resizeServerGroup' },
  ];
  const table = types.flatMap((t) => cases.map((c) => ({ ...t, ...c })));

  it.each(table)('$type with $target aims at $picks', async ({ type, operation, target, picks }) => {
    const extra = type === 'resizeServerGroup' ? { action: 'scale_up', scaleNum: 1 } : {};
    const { tasks, name, agent } = await run(type, { target, ...extra });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ operation, account: agent.account, status: 'QUEUED', payload: { account: agent.account, location: 'here', serverGroupName: name(picks) } });
  });

  it('target defaults to the current (newest) group', async () => {
    const { tasks, name } = await run('enableServerGroup', {});
    expect(tasks[0]!.payload.serverGroupName).toBe(name('v002'));
  });

  it('an exact serverGroupName wins over target', async () => {
    const { tasks, name } = await run('enableServerGroup', (n) => ({ target: 'current_asg_dynamic', serverGroupName: n('v001') }));
    expect(tasks.map((t) => t.payload.serverGroupName)).toEqual([name('v001')]);
  });

  it('the stage succeeds once the agent completed the operation, reporting the task', async () => {
    const { h, agent, id, name } = await run('disableServerGroup', { target: 'current_asg_dynamic' });
    const [task] = await agent.work(id);
    const s = await h.stage(id, '1');
    expect(s.status).toBe('SUCCEEDED');
    expect(s.outputs).toEqual({ tasks: [{ label: `disable ${name('v002')}`, taskId: task!.id, serverGroup: name('v002') }], deployedServerGroups: [] });
    expect(task!.payload).toMatchObject({ drainTimeoutSec: 30 });
  });
});

describe('server group stages: no target, no task', () => {
  it.each<{ rule: string; type: string; extra: Record<string, unknown>; groups: Record<string, GroupSpec>; message: string; field: string }>([
    { rule: 'an empty cluster has no current group', type: 'disableServerGroup', extra: {}, groups: {}, message: 'the cluster has no server group to aim at', field: 'target' },
    { rule: 'a cluster of one has no ancestor', type: 'enableServerGroup', extra: { target: 'ancestor_asg_dynamic' }, groups: { v004: {} }, message: 'the cluster has no previous server group to aim at', field: 'target' },
    {
      rule: 'a cluster of one has no oldest group (it would be the current one)', type: 'destroyServerGroup', extra: { target: 'oldest_asg_dynamic' }, groups: { v004: {} },
      message: 'the cluster has only one server group ("NAME-v004"), so it has no oldest one to aim at', field: 'target',
    },
    { rule: 'an empty cluster has no oldest group', type: 'destroyServerGroup', extra: { target: 'oldest_asg_dynamic' }, groups: {}, message: 'the cluster has no server group to aim at', field: 'target' },
    { rule: 'an exact name not in the cluster', type: 'resizeServerGroup', extra: { serverGroupName: 'nope-v001', action: 'scale_up', scaleNum: 1 }, groups: cluster, message: 'no server group "nope-v001" in this cluster and location', field: 'serverGroupName' },
  ])('$rule: a user error on $field', async ({ type, extra, groups, message, field }) => {
    const { stage: s, tasks, h } = await run(type, extra, groups);
    expect(s).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', message: message.replace('NAME', h.cluster()), field } });
    expect(tasks).toEqual([]);
  });
});

describe('resizeServerGroup: the new capacity (current v002 is min 2, max 6, desired 3)', () => {
  it.each([
    { rule: 'scale_exact sets the capacity given', extra: { action: 'scale_exact', capacity: { min: 1, max: 5, desired: 4 } }, capacity: { min: 1, max: 5, desired: 4 } },
    { rule: 'scale_exact is the default action', extra: { capacity: { min: 3, max: 3, desired: 3 } }, capacity: { min: 3, max: 3, desired: 3 } },
    { rule: 'scale_up by scaleNum adds to desired', extra: { action: 'scale_up', scaleNum: 2 }, capacity: { min: 2, max: 6, desired: 5 } },
    { rule: 'scale_up past max raises max', extra: { action: 'scale_up', scaleNum: 5 }, capacity: { min: 2, max: 8, desired: 8 } },
    { rule: 'scale_up by scalePct adds that share of desired, rounded up', extra: { action: 'scale_up', scalePct: 50 }, capacity: { min: 2, max: 6, desired: 5 } },
    { rule: 'scale_down by scaleNum takes from desired', extra: { action: 'scale_down', scaleNum: 1 }, capacity: { min: 2, max: 6, desired: 2 } },
    { rule: 'scale_down below min lowers min', extra: { action: 'scale_down', scaleNum: 2 }, capacity: { min: 1, max: 6, desired: 1 } },
    { rule: 'scale_down by scalePct takes that share of desired, rounded up', extra: { action: 'scale_down', scalePct: 50 }, capacity: { min: 1, max: 6, desired: 1 } },
    { rule: 'scale_down stops at 0', extra: { action: 'scale_down', scaleNum: 10 }, capacity: { min: 0, max: 6, desired: 0 } },
    { rule: 'scaleNum may be a ${…} expression (parameters are strings)', extra: { action: 'scale_up', scaleNum: '${parameters.n}' }, capacity: { min: 2, max: 6, desired: 4 } },
    { rule: 'scale_to_cluster takes the largest capacity in the cluster, field by field', extra: { action: 'scale_to_cluster', target: 'oldest_asg_dynamic' }, capacity: { min: 2, max: 6, desired: 3 } },
    { rule: 'scale_to_cluster with scaleNum adds to the largest', extra: { action: 'scale_to_cluster', target: 'oldest_asg_dynamic', scaleNum: 1 }, capacity: { min: 2, max: 6, desired: 4 } },
  ])('$rule', async ({ extra, capacity }) => {
    const { tasks, name } = await run('resizeServerGroup', extra);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.payload).toEqual({ account: tasks[0]!.account, location: 'here', serverGroupName: name(extra.target === 'oldest_asg_dynamic' ? 'v000' : 'v002'), capacity, waitForHealthy: true });
  });

  it.each([
    { rule: 'scale_exact without capacity', extra: { action: 'scale_exact' }, field: 'capacity', message: 'capacity is required for scale_exact' },
    { rule: 'scale_up without scaleNum or scalePct', extra: { action: 'scale_up' }, field: 'scaleNum', message: 'scale_up needs scaleNum or scalePct' },
    { rule: 'scale_down with a scalePct that is not a number', extra: { action: 'scale_down', scalePct: '${parameters.n + "x"}' }, field: 'scalePct', message: 'scale_down needs scaleNum or scalePct' },
  ])('$rule fails the stage on $field, no task', async ({ extra, field, message }) => {
    const { tasks, stage: s } = await run('resizeServerGroup', extra);
    expect(s).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field, message } });
    expect(tasks).toEqual([]);
  });

  it('a resize down is traffic-guarded, a resize up is not', async () => {
    const guards = [{ account: '*', location: '*', stack: 'web', detail: '' }];
    const down = new Harness();
    const agent = await down.agent();
    await agent.have({ [`${down.cluster()}-v001`]: { up: 2 } });
    await down.guards(guards);
    const stages = (action: string) => [stage('1', 'resizeServerGroup', { account: agent.account, location: 'here', cluster: down.cluster(), action, scaleNum: 2 })];
    const refused = await down.start(await down.pipeline({ name: 'down', stages: stages('scale_down') }));
    const allowed = await down.start(await down.pipeline({ name: 'up', stages: stages('scale_up') }));
    await down.run();
    expect(await down.tasks(refused)).toEqual([]);
    expect((await down.stage(refused, '1')).error!.message).toContain(`resizing ${down.cluster()}-v001 to 0 would leave it with no Up instances`);
    expect((await down.tasks(allowed)).map((t) => t.payload.capacity.desired)).toEqual([4]);
  });
});
