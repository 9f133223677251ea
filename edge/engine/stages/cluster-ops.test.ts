/**
 * Cluster-wide stages (disableCluster, scaleDownCluster, shrinkCluster, rollbackCluster) and the
 * checkPreconditions `clusterSize` check, run against the in-process engine with a fake agent.
 */
import { describe, expect, it } from 'vitest';
import { Harness, SECOND, stage, type GroupSpec, type TaskRow } from '../test/harness.ts';

// Newest first: v003 serving (1 Up), v002 serving (4 Up), v001 disabled (2 Up), v000 serving (1 Up).
const cluster: Record<string, GroupSpec> = {
  v000: { up: 1 },
  v001: { disabled: true, up: 2 },
  v002: { up: 4 },
  v003: { up: 1 },
};

async function setup(groups: Record<string, GroupSpec> = cluster) {
  const h = new Harness();
  const agent = await h.agent();
  const name = (v: string) => `${h.cluster()}-${v}`;
  await agent.have(Object.fromEntries(Object.entries(groups).map(([v, spec]) => [name(v), spec])));
  const where = { account: agent.account, location: 'here', cluster: h.cluster() };
  return { h, agent, name, where };
}

/** A task as `disable v002` / `resize v001 to 0` relative to the harness's `web` cluster. */
const line = (h: Harness, t: TaskRow) => {
  const name = String(t.payload.serverGroupName).replace(`${h.cluster()}-`, '');
  return t.operation === 'resizeServerGroup' ? `resize ${name} to ${t.payload.capacity.desired}` : `${t.operation.replace('ServerGroup', '')} ${name}`;
};

/** Runs one cluster stage with `options` and lets the agent do every task; returns them in order. */
async function runStage(type: string, options: Record<string, unknown>, groups?: Record<string, GroupSpec>) {
  const { h, agent, where } = await setup(groups);
  const id = await h.start(await h.pipeline({ name: type, stages: [stage('1', type, { ...where, ...options })] }));
  await h.run();
  const done = await agent.work(id);
  return { h, id, tasks: done.map((t) => line(h, t)), stage: await h.stage(id, '1'), done };
}

describe('disableCluster: disables enabled groups beyond the newest (or largest) N', () => {
  it.each([
    { rule: 'by default keeps the newest enabled group', options: {}, tasks: ['disable v002', 'disable v000'] },
    { rule: 'remainingEnabledServerGroups 2 keeps the two newest enabled', options: { remainingEnabledServerGroups: 2 }, tasks: ['disable v000'] },
    { rule: 'remainingEnabledServerGroups 0 disables every enabled group', options: { remainingEnabledServerGroups: 0 }, tasks: ['disable v003', 'disable v002', 'disable v000'] },
    { rule: 'preferLargerOverNewer keeps the group with most instances', options: { preferLargerOverNewer: true }, tasks: ['disable v003', 'disable v000'] },
    { rule: 'more to keep than enabled groups: nothing to do, the stage succeeds', options: { remainingEnabledServerGroups: 5 }, tasks: [] },
  ])('$rule', async ({ options, tasks }) => {
    const r = await runStage('disableCluster', options);
    expect(r.tasks).toEqual(tasks);
    expect(r.stage.status).toBe('SUCCEEDED');
  });
});

describe('scaleDownCluster: scales groups beyond the N that keep their size to zero', () => {
  it.each([
    { rule: 'by default only disabled groups, enabled ones counting as kept', options: {}, tasks: ['resize v001 to 0'] },
    { rule: 'allowScaleDownActive: enabled groups may go too, kept first, newest first', options: { allowScaleDownActive: true, remainingFullSizeServerGroups: 2 }, tasks: ['resize v000 to 0', 'resize v001 to 0'] },
    { rule: 'preferLargerOverNewer keeps the largest enabled group', options: { allowScaleDownActive: true, preferLargerOverNewer: true }, tasks: ['resize v003 to 0', 'resize v000 to 0', 'resize v001 to 0'] },
    { rule: 'groups already at zero are left alone', options: {}, groups: { ...cluster, v001: { disabled: true, up: 0, desired: 0, min: 0 } }, tasks: [] },
  ])('$rule', async ({ options, groups, tasks }) => {
    const r = await runStage('scaleDownCluster', options, groups);
    expect(r.tasks).toEqual(tasks);
    expect(r.stage.status).toBe('SUCCEEDED');
  });

  it('a scale down keeps max, sets min and desired to 0, and does not wait for health', async () => {
    const r = await runStage('scaleDownCluster', {}, { ...cluster, v001: { disabled: true, up: 2, max: 5 } });
    expect(r.done[0]!.payload.capacity).toEqual({ min: 0, max: 5, desired: 0 });
    expect(r.done[0]!.payload.waitForHealthy).toBe(false);
  });
});

describe('shrinkCluster: destroys groups beyond the newest (or largest) N', () => {
  it.each([
    { rule: 'by default only disabled groups, enabled ones counting as kept', options: {}, tasks: ['destroy v001'] },
    { rule: 'allowDeleteActive with shrinkToSize 2: keeps the two newest enabled', options: { allowDeleteActive: true, shrinkToSize: 2 }, tasks: ['destroy v000', 'destroy v001'] },
    { rule: 'retainLargerOverNewer keeps the largest', options: { allowDeleteActive: true, retainLargerOverNewer: true }, tasks: ['destroy v003', 'destroy v000', 'destroy v001'] },
    { rule: 'shrinkToSize above the cluster size: nothing to destroy', options: { shrinkToSize: 9 }, tasks: [] },
  ])('$rule', async ({ options, tasks }) => {
    const r = await runStage('shrinkCluster', options);
    expect(r.tasks).toEqual(tasks);
    expect(r.stage.status).toBe('SUCCEEDED');
  });
});

describe('cluster stages never touch what an earlier stage of the same execution deployed', () => {
  const deploy = (h: Harness, account: string) =>
    stage('1', 'deploy', { clusters: [{ account, location: 'here', application: h.app, stack: 'web', strategy: 'none', capacity: { min: 1, max: 1, desired: 1 }, artifact: { type: 'process', command: 'node' } }] });

  it.each([
    { type: 'disableCluster', options: {}, tasks: ['create v004', 'disable v003', 'disable v002', 'disable v000'] },
    { type: 'shrinkCluster', options: { allowDeleteActive: true }, tasks: ['create v004', 'destroy v003', 'destroy v002', 'destroy v000', 'destroy v001'] },
    { type: 'scaleDownCluster', options: { allowScaleDownActive: true }, tasks: ['create v004', 'resize v003 to 0', 'resize v002 to 0', 'resize v000 to 0', 'resize v001 to 0'] },
  ])('$type after a deploy keeps the new group as the one that stays', async ({ type, options, tasks }) => {
    const { h, agent, where } = await setup();
    const id = await h.start(await h.pipeline({ name: 'after-deploy', stages: [deploy(h, agent.account), stage('2', type, { ...where, ...options }, ['1'])] }));
    await h.run();
    expect((await agent.work(id)).map((t) => line(h, t))).toEqual(tasks);
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED' });
  });
});

describe('rollbackCluster: back to the previous group', () => {
  // v002 is current (enabled, 4 of 4); v001 is the previous one (disabled, 2 of 2); v000 older still.
  const groups: Record<string, GroupSpec> = {
    v000: { disabled: true, up: 1, min: 1, max: 4 },
    v001: { disabled: true, up: 2, min: 2, max: 4 },
    v002: { up: 4, min: 4, max: 4 },
  };

  it('resizes the previous group up to the current size, enables it, then disables the current one', async () => {
    const r = await runStage('rollbackCluster', {}, groups);
    expect(r.tasks).toEqual(['resize v001 to 4', 'enable v001', 'disable v002']);
    expect(r.done[0]!.payload.capacity).toEqual({ min: 4, max: 4, desired: 4 });
    expect(r.stage.status).toBe('SUCCEEDED');
  });

  it('a previous group at least as large is not resized', async () => {
    const r = await runStage('rollbackCluster', {}, { ...groups, v001: { disabled: true, up: 5 } });
    expect(r.tasks).toEqual(['enable v001', 'disable v002']);
  });

  it('restoreServerGroupName picks the group to restore', async () => {
    const { h, agent, where, name } = await setup(groups);
    const id = await h.start(await h.pipeline({ name: 'explicit', stages: [stage('1', 'rollbackCluster', { ...where, restoreServerGroupName: name('v000') })] }));
    await h.run();
    expect((await agent.work(id)).map((t) => line(h, t))).toEqual(['resize v000 to 4', 'enable v000', 'disable v002']);
  });

  it('delayBeforeDisableSec waits on the clock between the enable and the disable', async () => {
    const { h, agent, where } = await setup(groups);
    const id = await h.start(await h.pipeline({ name: 'delay', stages: [stage('1', 'rollbackCluster', { ...where, delayBeforeDisableSec: 30 })] }));
    await h.run();
    await agent.work(id);
    expect((await h.tasks(id)).map((t) => line(h, t))).toEqual(['resize v001 to 4', 'enable v001']);
    await h.advance(30 * SECOND - 1);
    expect(await h.queued(id)).toEqual([]);
    await h.advance(1);
    expect((await h.queued(id)).map((t) => line(h, t))).toEqual(['disable v002']);
  });

  it('in a guarded cluster the disable passes because the enable reported the restored group serving (before inventory shows it)', async () => {
    const { h, agent, where } = await setup(groups);
    await h.guards([{ account: '*', location: '*', stack: 'web', detail: '' }]);
    const id = await h.start(await h.pipeline({ name: 'guarded', stages: [stage('1', 'rollbackCluster', { ...where })] }));
    await h.run();
    expect((await agent.work(id, { report: false })).map((t) => line(h, t))).toEqual(['resize v001 to 4', 'enable v001', 'disable v002']);
    expect((await h.stage(id, '1')).status).toBe('SUCCEEDED');
  });

  it.each<{ rule: string; groups: Record<string, GroupSpec>; options: Record<string, unknown>; field: string; message: (n: (v: string) => string) => string }>([
    { rule: 'a cluster of one group has no previous one', groups: { v005: {} }, options: {}, field: 'cluster', message: (n: (v: string) => string) => `"${n('v005')}" is the oldest server group of the cluster; there is no previous one to roll back to` },
    { rule: 'a cluster with no enabled group', groups: { v001: { disabled: true }, v002: { disabled: true } }, options: {}, field: 'cluster', message: () => 'the cluster has no enabled server group to roll back' },
    { rule: 'a restore group not in the cluster', groups, options: { restoreServerGroupName: 'other-v001' }, field: 'restoreServerGroupName', message: () => 'server group "other-v001" to restore is not in this cluster and location' },
  ])('$rule: a user error, nothing queued', async ({ groups: g, options, field, message }) => {
    const { h, where, name } = await setup(g);
    const id = await h.start(await h.pipeline({ name: 'none', stages: [stage('1', 'rollbackCluster', { ...where, ...options })] }));
    await h.run();
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field, message: message(name) } });
    expect(await h.tasks(id)).toEqual([]);
  });
});

describe('checkPreconditions clusterSize', () => {
  // In `here`: v000 disabled, v001 and v002 enabled. In `there`: one enabled group.
  async function check(context: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const h = new Harness();
    const agent = await h.agent();
    await agent.have({ [`${h.cluster()}-v000`]: { disabled: true }, [`${h.cluster()}-v001`]: {}, [`${h.cluster()}-v002`]: {} });
    await agent.have({ [`${h.cluster()}-v007`]: {} }, 'there');
    const precondition = { type: 'clusterSize', context: { account: agent.account, cluster: h.cluster(), regions: ['here'], ...context }, ...extra };
    const id = await h.start(await h.pipeline({ name: 'size', stages: [stage('1', 'checkPreconditions', { preconditions: [precondition] })] }));
    await h.run();
    return { s: await h.stage(id, '1'), where: `cluster "${h.cluster()}" in ${agent.account}` };
  }

  it.each([
    { rule: 'every server group counts by default; == is the default comparison', context: { expected: 3 } },
    { rule: '< compares', context: { comparison: '<', expected: 4 } },
    { rule: '<= compares', context: { comparison: '<=', expected: 3 } },
    { rule: '>= compares', context: { comparison: '>=', expected: 3 } },
    { rule: '> compares', context: { comparison: '>', expected: 2 } },
    { rule: 'onlyEnabledServerGroups counts enabled groups only', context: { onlyEnabledServerGroups: true, expected: 2 } },
    { rule: 'each region is checked on its own', context: { regions: ['here', 'there'], comparison: '>=', expected: 1 } },
    { rule: 'a cluster absent from a region has 0 groups', context: { regions: ['nowhere'], expected: 0 } },
  ])('passes: $rule', async ({ context }) => {
    const { s } = await check(context);
    expect(s).toMatchObject({ status: 'SUCCEEDED', error: null, outputs: { warnings: [] } });
  });

  it.each([
    { rule: 'too many groups', context: { expected: 2 }, says: 'here has 3 server groups, expected == 2' },
    { rule: 'enabled groups only', context: { onlyEnabledServerGroups: true, comparison: '>', expected: 2 }, says: 'here has 2 enabled server groups, expected > 2' },
    { rule: 'the first region that fails is named', context: { regions: ['here', 'there'], expected: 3 }, says: 'there has 1 server group, expected == 3' },
  ])('fails, stating actual vs expected: $rule', async ({ context, says }) => {
    const { s, where } = await check(context);
    expect(s).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field: 'preconditions[0]', message: `${where}/${says}` } });
  });

  it('with failPipeline false a failed size only warns', async () => {
    const { s, where } = await check({ expected: 1 }, { failPipeline: false });
    expect(s).toMatchObject({ status: 'SUCCEEDED', outputs: { warnings: [`${where}/here has 3 server groups, expected == 1`] } });
  });
});
