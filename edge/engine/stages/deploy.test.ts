/**
 * The deploy stage: which plan each strategy makes (`strategySteps`, pure) and the whole stage
 * run against the in-process engine with a fake agent doing the work.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { pipelines } from '../../../db/schema.ts';
import { sg, type GroupSpec } from '../../clusters/test-groups.ts';
import { Harness, MINUTE, SECOND, stage, type FakeAgent, type TaskRow } from '../test/harness.ts';
import type { PlanStep } from './agent-plan.ts';
import { strategySteps } from './deploy.ts';

type Spec = Parameters<typeof strategySteps>[0];

const artifact = { type: 'process', command: 'node', args: ['server.js'] };

/** A step as one short line: `disable hello-v001`, `disable 25% of hello-v001`, `resize hello-v003 to 2`, `wait 30s`. */
function line(step: PlanStep): string {
  if (step.kind === 'delay') return `wait ${step.seconds}s`;
  const name = step.payload.serverGroupName as string;
  const verb = step.operation.replace('ServerGroup', '');
  if (step.operation === 'resizeServerGroup') return `resize ${name} to ${(step.payload.capacity as { desired: number }).desired}`;
  if (step.payload.desiredPercentage !== undefined) return `${verb} ${step.payload.desiredPercentage as number}% of ${name}`;
  return `${verb} ${name}`;
}

describe('strategySteps: what each strategy does after the new group hello-v004 is created', () => {
  const spec = (over: Partial<Spec>): Spec => ({
    account: 'prod', location: 'here', application: 'hello', stack: '', freeFormDetails: '', strategy: 'none',
    capacity: { min: 2, max: 8, desired: 4 }, artifact, loadBalancers: [], ...over,
  });
  // Newest first is v003, v002, v001; v001 is disabled and already scaled to zero.
  const cluster = (over: Record<string, GroupSpec> = {}) => [
    sg('hello-v001', { disabled: true, up: 0, desired: 0, min: 0, ...over['hello-v001'] }),
    sg('hello-v002', { up: 2, ...over['hello-v002'] }),
    sg('hello-v003', { up: 3, ...over['hello-v003'] }),
  ];
  const cases: { rule: string; spec: Partial<Spec>; groups?: ReturnType<typeof cluster>; steps: string[] }[] = [
    { rule: 'none: nothing after the create', spec: { strategy: 'none' }, steps: [] },
    { rule: 'highlander: destroys every other group, newest first, enabled or not', spec: { strategy: 'highlander' }, steps: ['destroy hello-v003', 'destroy hello-v002', 'destroy hello-v001'] },
    { rule: 'redblack: disables every other ENABLED group, newest first', spec: { strategy: 'redblack' }, steps: ['disable hello-v003', 'disable hello-v002'] },
    { rule: 'redblack with delayBeforeDisableSec: waits before disabling', spec: { strategy: 'redblack', delayBeforeDisableSec: 30 }, steps: ['wait 30s', 'disable hello-v003', 'disable hello-v002'] },
    {
      rule: 'redblack with scaleDown: after disabling, scales the others to 0 (skipping groups already at 0), after its delay',
      spec: { strategy: 'redblack', scaleDown: true, delayBeforeScaleDownSec: 60 },
      steps: ['disable hello-v003', 'disable hello-v002', 'wait 60s', 'resize hello-v003 to 0', 'resize hello-v002 to 0'],
    },
    { rule: 'redblack with maxRemainingAsgs 2: the new group counts, so only the newest other group is kept', spec: { strategy: 'redblack', maxRemainingAsgs: 2 }, steps: ['disable hello-v003', 'disable hello-v002', 'destroy hello-v002', 'destroy hello-v001'] },
    { rule: 'redblack with maxRemainingAsgs 1: every other group is destroyed', spec: { strategy: 'redblack', maxRemainingAsgs: 1 }, steps: ['disable hello-v003', 'disable hello-v002', 'destroy hello-v003', 'destroy hello-v002', 'destroy hello-v001'] },
    { rule: 'redblack with maxRemainingAsgs 0: nothing is destroyed', spec: { strategy: 'redblack', maxRemainingAsgs: 0 }, steps: ['disable hello-v003', 'disable hello-v002'] },
    { rule: 'redblack with maxRemainingAsgs above the cluster size: nothing is destroyed', spec: { strategy: 'redblack', maxRemainingAsgs: 5 }, steps: ['disable hello-v003', 'disable hello-v002'] },
    {
      rule: 'redblack with everything: disable after its delay, scale down after its delay, then shrink',
      spec: { strategy: 'redblack', delayBeforeDisableSec: 10, scaleDown: true, delayBeforeScaleDownSec: 20, maxRemainingAsgs: 3 },
      steps: ['wait 10s', 'disable hello-v003', 'disable hello-v002', 'wait 20s', 'resize hello-v003 to 0', 'resize hello-v002 to 0', 'destroy hello-v001'],
    },
    { rule: 'redblack on an empty cluster: nothing after the create', spec: { strategy: 'redblack', scaleDown: true, maxRemainingAsgs: 1 }, groups: [], steps: [] },
    {
      rule: 'rollingredblack [25, 50, 100]: at each step the new group grows to p% (created at 25%), then p% of every serving group leaves the load balancer; 100% disables them fully',
      spec: { strategy: 'rollingredblack', targetPercentages: [25, 50, 100] },
      steps: [
        'disable 25% of hello-v003', 'disable 25% of hello-v002',
        'resize hello-v004 to 2', 'disable 50% of hello-v003', 'disable 50% of hello-v002',
        'resize hello-v004 to 4', 'disable hello-v003', 'disable hello-v002',
      ],
    },
    {
      rule: 'rollingredblack: 100% is forced last even when not listed',
      spec: { strategy: 'rollingredblack', targetPercentages: [10, 60] },
      steps: ['disable 10% of hello-v003', 'disable 10% of hello-v002', 'resize hello-v004 to 3', 'disable 60% of hello-v003', 'disable 60% of hello-v002', 'resize hello-v004 to 4', 'disable hello-v003', 'disable hello-v002'],
    },
    {
      rule: 'rollingredblack with no percentage below 100: the group was created at full size, so no resize, one full disable',
      spec: { strategy: 'rollingredblack', targetPercentages: [100] },
      steps: ['disable hello-v003', 'disable hello-v002'],
    },
    {
      rule: 'rollingredblack with delayBeforeDisableSec: waits before every step\'s disable (Orca\'s delayBeforeCleanup); scale down and shrink come once, after 100%',
      spec: { strategy: 'rollingredblack', targetPercentages: [50], delayBeforeDisableSec: 30, scaleDown: true, delayBeforeScaleDownSec: 60, maxRemainingAsgs: 2 },
      steps: ['wait 30s', 'disable 50% of hello-v003', 'disable 50% of hello-v002', 'resize hello-v004 to 4', 'wait 30s', 'disable hello-v003', 'disable hello-v002', 'wait 60s', 'resize hello-v003 to 0', 'resize hello-v002 to 0', 'destroy hello-v002', 'destroy hello-v001'],
    },
    {
      rule: 'rollingredblack on an empty cluster: only the growth steps, nothing to disable or wait for',
      spec: { strategy: 'rollingredblack', targetPercentages: [25, 50], delayBeforeDisableSec: 30 },
      groups: [],
      steps: ['resize hello-v004 to 2', 'resize hello-v004 to 4'],
    },
  ];

  it.each(cases)('$rule', ({ spec: over, groups, steps }) => {
    const plan = strategySteps(spec(over), 'hello-v004', 'hello', groups ?? cluster());
    expect(plan.map(line)).toEqual(steps);
  });

  it('every step that takes traffic or capacity away from another group is traffic-guarded; growing the new group is not', () => {
    const plan = strategySteps(spec({ strategy: 'rollingredblack', targetPercentages: [50], scaleDown: true, maxRemainingAsgs: 1 }), 'hello-v004', 'hello', cluster());
    const guarded = plan.filter((s) => s.kind === 'op' && s.guard).map(line);
    const unguarded = plan.filter((s) => s.kind === 'op' && !s.guard).map(line);
    expect(unguarded).toEqual(['resize hello-v004 to 4']);
    expect(guarded).toEqual(['disable 50% of hello-v003', 'disable 50% of hello-v002', 'disable hello-v003', 'disable hello-v002', 'resize hello-v003 to 0', 'resize hello-v002 to 0', 'destroy hello-v003', 'destroy hello-v002', 'destroy hello-v001']);
    for (const s of plan) if (s.kind === 'op' && s.guard) expect(s.guard).toMatchObject({ account: 'prod', location: 'here', cluster: 'hello' });
  });

  it('rollingredblack: from the first disable to the last, a failing step rolls back: the old groups it touched are enabled, then the new group disabled', () => {
    const plan = strategySteps(spec({ strategy: 'rollingredblack', targetPercentages: [50], delayBeforeDisableSec: 30, scaleDown: true, maxRemainingAsgs: 2 }), 'hello-v004', 'hello', cluster());
    const undo = ['roll back: enable hello-v003', 'roll back: enable hello-v002', 'roll back: disable hello-v004'];
    expect(plan.map((s) => [line(s), s.kind === 'op' ? (s.onFailure ?? []).map((u) => u.label) : []])).toEqual([
      ['wait 30s', []],
      // A disable may fail halfway, so its own group is rolled back; hello-v002 is not touched yet.
      ['disable 50% of hello-v003', ['roll back: enable hello-v003', 'roll back: disable hello-v004']],
      ['disable 50% of hello-v002', undo],
      ['resize hello-v004 to 4', undo],
      ['wait 30s', []],
      ['disable hello-v003', undo],
      ['disable hello-v002', undo],
      // Once the old groups are fully out, the deploy has moved the traffic: the cleanup is not undone.
      ['resize hello-v003 to 0', []],
      ['resize hello-v002 to 0', []],
      ['destroy hello-v002', []],
      ['destroy hello-v001', []],
    ]);
    const undoFirst = (plan[1] as Extract<PlanStep, { kind: 'op' }>).onFailure!;
    expect(undoFirst.map(line)).toEqual(['enable hello-v003', 'disable hello-v004']);
    // Taking the new group out is guarded like any disable: after the enables, the old groups serve.
    expect(undoFirst[1]).toMatchObject({ guard: { operation: { kind: 'disable', serverGroups: ['hello-v004'] } } });
  });

  it.each([
    { rule: 'rollingredblack on an empty cluster: there is nothing to roll back to', strategy: 'rollingredblack' as const, groups: [] },
    { rule: 'redblack: the old groups leave whole, after the new group is healthy; nothing is half done', strategy: 'redblack' as const, groups: undefined },
  ])('no rollback for $rule', ({ strategy, groups }) => {
    const plan = strategySteps(spec({ strategy, targetPercentages: [25, 50] }), 'hello-v004', 'hello', groups ?? cluster());
    expect(plan.length).toBeGreaterThan(0);
    expect(plan.filter((s) => s.kind === 'op' && s.onFailure)).toEqual([]);
  });

  it('a scale down keeps the group max and does not wait for health', () => {
    const [step] = strategySteps(spec({ strategy: 'redblack', scaleDown: true }), 'hello-v004', 'hello', [sg('hello-v003', { disabled: true, up: 3 })]);
    expect(step).toMatchObject({ operation: 'resizeServerGroup', payload: { capacity: { min: 0, max: 3, desired: 0 }, waitForHealthy: false }, guard: { operation: { kind: 'resize', serverGroup: 'hello-v003', desired: 0 } } });
  });
});

/** The deploy stage config for one cluster in the fake agent's account. */
function deploy(h: Harness, agent: FakeAgent, over: Record<string, unknown> = {}, refId = '1', requisites: string[] = []) {
  const cluster = { account: agent.account, location: agent.location, application: h.app, stack: 'web', strategy: 'none', capacity: { min: 1, max: 4, desired: 2 }, artifact, ...over };
  return stage(refId, 'deploy', { clusters: [cluster] }, requisites);
}

/** A task as `create v003` / `resize v003 to 2` / `disable 25% of v001` relative to the harness's `web` cluster. */
function short(h: Harness, t: TaskRow): string {
  const name = String(t.payload.serverGroupName).replace(`${h.cluster()}-`, '');
  const verb = t.operation.replace('ServerGroup', '');
  if (t.operation === 'resizeServerGroup') return `resize ${name} to ${t.payload.capacity.desired}`;
  return t.payload.desiredPercentage === undefined ? `${verb} ${name}` : `${verb} ${t.payload.desiredPercentage}% of ${name}`;
}

/** The fake agent's groups of the `web` cluster as `{v001: 'enabled 2/2'}`: state and Up/desired. */
function groupsOf(h: Harness, agent: FakeAgent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const g of agent.groups.values()) {
    if (g.moniker.cluster !== h.cluster()) continue;
    out[g.name.replace(`${h.cluster()}-`, '')] = `${g.disabled ? 'disabled' : 'enabled'} ${g.instances.filter((i) => i.health === 'Up').length}/${g.capacity.desired}`;
  }
  return out;
}

async function setup(groups: Record<string, GroupSpec> = {}) {
  const h = new Harness();
  const agent = await h.agent();
  await agent.have(Object.fromEntries(Object.entries(groups).map(([v, spec]) => [`${h.cluster()}-${v}`, spec])));
  return { h, agent };
}

describe('deploy stage: naming the new server group', () => {
  it.each<{ rule: string; groups: Record<string, GroupSpec>; name: string }>([
    { rule: 'an empty cluster starts at v000', groups: {}, name: 'v000' },
    { rule: 'the next sequence after the newest group', groups: { v001: {}, v002: {} }, name: 'v003' },
    { rule: 'newest by creation time, not the highest number', groups: { v007: { createdAt: 1 }, v002: { createdAt: 2 } }, name: 'v003' },
    { rule: 'skips sequences in use and wraps after v999', groups: { v999: { createdAt: 3 }, v000: { createdAt: 1 }, v001: { createdAt: 2 } }, name: 'v002' },
  ])('$rule', async ({ groups, name }) => {
    const { h, agent } = await setup(groups);
    const id = await h.start(await h.pipeline({ name: 'name', stages: [deploy(h, agent)] }));
    await h.run();
    const [create] = await h.tasks(id);
    expect(create!.payload).toMatchObject({
      serverGroupName: `${h.cluster()}-${name}`,
      moniker: { app: h.app, stack: 'web', detail: '', cluster: h.cluster(), sequence: Number(name.slice(1)) },
    });
  });

  it('stack and detail make the name app-stack-detail-vNNN; no stack makes app--detail', async () => {
    const { h, agent } = await setup();
    const id = await h.start(await h.pipeline({ name: 'detail', stages: [deploy(h, agent, { freeFormDetails: 'canary' }, '1'), deploy(h, agent, { stack: '', freeFormDetails: 'canary' }, '2')] }));
    await h.run();
    expect((await h.tasks(id)).map((t) => t.payload.serverGroupName).sort()).toEqual([`${h.app}--canary-v000`, `${h.app}-web-canary-v000`]);
  });

  it('the create carries capacity, artifact (defaults filled), load balancers, enabled and the health check', async () => {
    const { h, agent } = await setup();
    const id = await h.start(await h.pipeline({ name: 'payload', stages: [deploy(h, agent, { loadBalancers: ['web-lb'], healthCheckPath: '/ready', healthCheckTimeoutSec: 30 })] }));
    await h.run();
    const [create] = await h.tasks(id);
    expect(create).toMatchObject({
      operation: 'createServerGroup', account: agent.account, status: 'QUEUED',
      payload: { location: 'here', capacity: { min: 1, max: 4, desired: 2 }, artifact: { ...artifact, env: {} }, loadBalancers: ['web-lb'], enabled: true, healthCheck: { path: '/ready', timeoutSec: 30 } },
    });
  });

  it('a capacity given as ${…} over string parameters is used as numbers', async () => {
    const { h, agent } = await setup();
    const p = await h.pipeline({ name: 'expr', parameterConfig: [{ name: 'replicas', default: '3' }], stages: [deploy(h, agent, { capacity: { min: 1, max: '${parameters.replicas}', desired: '${parameters.replicas}' } })] });
    const id = await h.start(p);
    await h.run();
    expect((await h.tasks(id))[0]!.payload.capacity).toEqual({ min: 1, max: 3, desired: 3 });
  });

  it('a cluster whose 1000 sequences are all taken fails the stage with a clear error, nothing queued', async () => {
    const groups = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`v${String(i).padStart(3, '0')}`, { up: 0, desired: 0, min: 0 } as GroupSpec]));
    const { h, agent } = await setup(groups);
    const id = await h.start(await h.pipeline({ name: 'full', stages: [deploy(h, agent)] }));
    await h.run();
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field: 'clusters[0]', message: `cluster "${h.cluster()}" has 1000 server groups; destroy some` } });
    expect(await h.tasks(id)).toEqual([]);
  });
});

describe('deploy stage: bad input fails before anything is queued', () => {
  it.each([
    { rule: 'an artifact without a type', artifact: { command: 'node' }, field: 'clusters[0].artifact.type' },
    { rule: 'a process artifact without a command', artifact: { type: 'process' }, field: 'clusters[0].artifact.command' },
    { rule: 'an artifact with an unknown key', artifact: { type: 'process', command: 'node', cmd: 'x' }, field: 'clusters[0].artifact.cmd' },
  ])('$rule: a user error naming $field', async ({ artifact: bad, field }) => {
    const { h, agent } = await setup({ v001: {} });
    const id = await h.start(await h.pipeline({ name: 'bad', stages: [deploy(h, agent, { artifact: bad })] }));
    await h.run();
    const s = await h.stage(id, '1');
    expect(s).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field } });
    expect(s.error!.message.startsWith(`${field}: `)).toBe(true);
    expect(await h.tasks(id)).toEqual([]);
  });

  it.each([
    { rule: 'falling', ps: [50, 25], at: 1 },
    { rule: 'repeated', ps: [50, 50], at: 1 },
    { rule: 'zero', ps: [0], at: 0 },
  ])('$rule rolling percentages saved before the rule ($ps) fail the stage naming the step, nothing queued', async ({ ps, at }) => {
    const { h, agent } = await setup({ v001: { up: 4 } });
    const p = await h.pipeline({ name: 'old-rule', stages: [deploy(h, agent, { strategy: 'rollingredblack' })] });
    const config = (await h.db.select().from(pipelines).where(eq(pipelines.id, p)).get())!.config as { stages: { clusters: Record<string, unknown>[] }[] };
    config.stages[0]!.clusters[0]!.targetPercentages = ps;
    await h.db.update(pipelines).set({ config: config as never }).where(eq(pipelines.id, p)).run();
    const id = await h.start(p);
    await h.run();
    const field = `clusters[0].targetPercentages[${at}]`;
    const s = await h.stage(id, '1');
    expect(s).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field } });
    expect(s.error!.message.startsWith(`${field}: `)).toBe(true);
    expect(await h.tasks(id)).toEqual([]);
  });

  it('a bad second cluster fails the stage before the first cluster is touched', async () => {
    const { h, agent } = await setup({ v001: {} });
    const good = { account: agent.account, location: 'here', application: h.app, stack: 'web', strategy: 'redblack', capacity: { min: 1, max: 1, desired: 1 }, artifact };
    const id = await h.start(await h.pipeline({ name: 'bad2', stages: [stage('1', 'deploy', { clusters: [good, { ...good, stack: 'api', artifact: { type: 'docker' } }] })] }));
    await h.run();
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field: 'clusters[1].artifact.image' } });
    expect(await h.tasks(id)).toEqual([]);
  });

  it('an account no agent serves fails the stage naming the account, nothing queued', async () => {
    const { h, agent } = await setup();
    const id = await h.start(await h.pipeline({ name: 'no-agent', stages: [deploy(h, agent, { account: 'nobody-serves-this' })] }));
    await h.run();
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field: 'account', message: expect.stringContaining('no agent serves account "nobody-serves-this"') } });
    expect(await h.tasks(id)).toEqual([]);
  });
});

describe('deploy stage: strategies run to the end with an agent doing the work', () => {
  const cases: { rule: string; over: Record<string, unknown>; groups: Record<string, GroupSpec>; tasks: string[]; after: Record<string, string> }[] = [
    {
      rule: 'none: only the new group is created; the old one keeps serving',
      over: { strategy: 'none' }, groups: { v001: { up: 2 } },
      tasks: ['create v002'], after: { v001: 'enabled 2/2', v002: 'enabled 2/2' },
    },
    {
      rule: 'highlander: the new group, then every other group destroyed',
      over: { strategy: 'highlander' }, groups: { v001: { disabled: true }, v002: { up: 2 } },
      tasks: ['create v003', 'destroy v002', 'destroy v001'], after: { v003: 'enabled 2/2' },
    },
    {
      rule: 'redblack: the new group, then the serving one disabled (left running)',
      over: { strategy: 'redblack' }, groups: { v001: { disabled: true }, v002: { up: 2 } },
      tasks: ['create v003', 'disable v002'], after: { v001: 'disabled 1/1', v002: 'disabled 2/2', v003: 'enabled 2/2' },
    },
    {
      rule: 'redblack with scaleDown and maxRemainingAsgs 2: disable, scale down, keep two groups',
      over: { strategy: 'redblack', scaleDown: true, maxRemainingAsgs: 2 }, groups: { v001: { disabled: true }, v002: { up: 2 } },
      tasks: ['create v003', 'disable v002', 'resize v002 to 0', 'resize v001 to 0', 'destroy v001'], after: { v002: 'disabled 0/0', v003: 'enabled 2/2' },
    },
    {
      rule: 'rollingredblack: created at the first percentage; at each one the old group loses that share, and at 100% is disabled',
      over: { strategy: 'rollingredblack', targetPercentages: [25, 50], capacity: { min: 4, max: 4, desired: 4 } }, groups: { v001: { up: 4 } },
      tasks: ['create v002', 'disable 25% of v001', 'resize v002 to 2', 'disable 50% of v001', 'resize v002 to 4', 'disable v001'], after: { v001: 'disabled 4/4', v002: 'enabled 4/4' },
    },
  ];

  it.each(cases)('$rule', async ({ over, groups, tasks, after }) => {
    const { h, agent } = await setup(groups);
    const id = await h.start(await h.pipeline({ name: 'strategy', stages: [deploy(h, agent, over)] }));
    await h.run();
    const done = await agent.work(id);
    expect(done.map((t) => short(h, t))).toEqual(tasks);
    expect(groupsOf(h, agent)).toEqual(after);
    const s = await h.stage(id, '1');
    expect(s.status).toBe('SUCCEEDED');
    expect(s.outputs).toMatchObject({ deployedServerGroups: [`${h.cluster()}-${tasks[0]!.split(' ')[1]}`] });
    expect((s.outputs.tasks as { label: string }[]).map((t) => t.label)).toHaveLength(tasks.length);
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('rollingredblack creates with min no higher than the first step', async () => {
    const { h, agent } = await setup({ v001: { up: 4 } });
    const id = await h.start(await h.pipeline({ name: 'rolling-min', stages: [deploy(h, agent, { strategy: 'rollingredblack', targetPercentages: [25], capacity: { min: 4, max: 8, desired: 4 } })] }));
    await h.run();
    expect((await h.tasks(id))[0]!.payload.capacity).toEqual({ min: 1, max: 8, desired: 1 });
  });

  it('a later deploy stage never touches the group an earlier stage of the same execution deployed', async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    const stages = [deploy(h, agent, { strategy: 'none' }, '1'), deploy(h, agent, { strategy: 'highlander' }, '2', ['1'])];
    const id = await h.start(await h.pipeline({ name: 'exclude', stages }));
    await h.run();
    const done = await agent.work(id);
    expect(done.map((t) => short(h, t))).toEqual(['create v002', 'create v003', 'destroy v001']);
    expect(groupsOf(h, agent)).toEqual({ v002: 'enabled 2/2', v003: 'enabled 2/2' });
    expect((await h.stage(id, '2')).outputs).toMatchObject({ deployedServerGroups: [`${h.cluster()}-v003`] });
  });

  it('red/black with delays: the disable waits on the clock after the create, the scale down after the disable', async () => {
    const { h, agent } = await setup({ v001: { up: 2 } });
    const id = await h.start(await h.pipeline({ name: 'delays', stages: [deploy(h, agent, { strategy: 'redblack', delayBeforeDisableSec: 60, scaleDown: true, delayBeforeScaleDownSec: 300 })] }));
    await h.run();
    await h.advance(10 * SECOND);
    await agent.succeed((await h.queued(id))[0]!);
    await h.advance(MINUTE - 1);
    expect((await h.tasks(id)).map((t) => short(h, t))).toEqual(['create v002']);
    await h.advance(1);
    await agent.succeed((await h.queued(id))[0]!);
    await h.advance(5 * MINUTE - 1);
    expect((await h.tasks(id)).map((t) => short(h, t))).toEqual(['create v002', 'disable v001']);
    await h.advance(1);
    expect((await h.tasks(id)).map((t) => short(h, t))).toEqual(['create v002', 'disable v001', 'resize v001 to 0']);
    expect((await h.stage(id, '1')).outputs.tasks).toContainEqual({ label: 'wait 60s before disabling' });
  });
});

describe('deploy stage: a rolling red/black that fails halfway rolls back', () => {
  const rolling = { strategy: 'rollingredblack', targetPercentages: [25, 50], capacity: { min: 4, max: 4, desired: 4 } };

  /** Carries out tasks until the one `failing` names (as `short` writes it), which the agent fails. */
  async function runUntilFailing(h: Harness, agent: FakeAgent, id: string, failing: string, error: string) {
    for (;;) {
      const [next] = await h.queued(id);
      if (!next) throw new Error(`never queued ${failing}`);
      if (short(h, next) === failing) return agent.fail(next, error);
      await agent.succeed(next);
    }
  }

  it.each([
    { rule: 'the new group never grows healthy', failing: 'resize v002 to 2', label: 'resize v002 to 50%', done: ['create v002', 'disable 25% of v001', 'resize v002 to 2'] },
    { rule: 'a partial disable fails', failing: 'disable 50% of v001', label: 'disable 50% of v001', done: ['create v002', 'disable 25% of v001', 'resize v002 to 2', 'disable 50% of v001'] },
    { rule: 'the final disable fails', failing: 'disable v001', label: 'disable v001', done: ['create v002', 'disable 25% of v001', 'resize v002 to 2', 'disable 50% of v001', 'resize v002 to 4', 'disable v001'] },
  ])('$rule: the old group is enabled whole again, then the new one disabled, and the stage fails with the original error', async ({ failing, label, done }) => {
    const { h, agent } = await setup({ v001: { up: 4 } });
    const id = await h.start(await h.pipeline({ name: 'rollback', stages: [deploy(h, agent, rolling)] }));
    await h.run();
    await runUntilFailing(h, agent, id, failing, 'instances did not become healthy within 120 s');
    expect((await h.stage(id, '1')).status).toBe('RUNNING');
    const undone = await agent.work(id);
    expect(undone.map((t) => short(h, t))).toEqual(['enable v001', 'disable v002']);
    expect((await h.tasks(id)).map((t) => `${short(h, t)} ${t.status}`)).toEqual([...done.slice(0, -1).map((t) => `${t} SUCCEEDED`), `${failing} FAILED`, 'enable v001 SUCCEEDED', 'disable v002 SUCCEEDED']);
    expect(groupsOf(h, agent)).toMatchObject({ v001: 'enabled 4/4', v002: expect.stringMatching(/^disabled /) });
    expect([...agent.groups.values()].find((g) => g.name.endsWith('-v001'))!.instances.map((i) => i.health)).toEqual(['Up', 'Up', 'Up', 'Up']);
    const s = await h.stage(id, '1');
    expect(s).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', message: `${label.replace(' v00', ` ${h.cluster()}-v00`)} failed: instances did not become healthy within 120 s` } });
    expect((s.outputs.tasks as { label: string }[]).map((t) => t.label).slice(-2)).toEqual([`roll back: enable ${h.cluster()}-v001`, `roll back: disable ${h.cluster()}-v002`]);
    expect(await h.status(id)).toBe('TERMINAL');
  });

  it('a failing create rolls nothing back: no old instance was taken out yet', async () => {
    const { h, agent } = await setup({ v001: { up: 4 } });
    const id = await h.start(await h.pipeline({ name: 'create-fails', stages: [deploy(h, agent, rolling)] }));
    await h.run();
    await runUntilFailing(h, agent, id, 'create v002', 'port in use');
    expect((await h.tasks(id)).map((t) => `${short(h, t)} ${t.status}`)).toEqual(['create v002 FAILED']);
    expect((await h.stage(id, '1')).status).toBe('TERMINAL');
  });

  it('a rollback step that fails ends the stage at once, with both errors', async () => {
    const { h, agent } = await setup({ v001: { up: 4 } });
    const id = await h.start(await h.pipeline({ name: 'rollback-fails', stages: [deploy(h, agent, rolling)] }));
    await h.run();
    await runUntilFailing(h, agent, id, 'resize v002 to 2', 'out of ports');
    await runUntilFailing(h, agent, id, 'enable v001', 'load balancer gone');
    await h.advance(MINUTE);
    expect((await h.tasks(id)).map((t) => `${short(h, t)} ${t.status}`).slice(-2)).toEqual(['resize v002 to 2 FAILED', 'enable v001 FAILED']);
    expect(await h.stage(id, '1')).toMatchObject({
      status: 'TERMINAL',
      error: { kind: 'user', message: `resize ${h.cluster()}-v002 to 50% failed: out of ports; rolling back, roll back: enable ${h.cluster()}-v001 failed: load balancer gone` },
    });
  });

  it('a traffic guard refusing a step mid-way rolls back too, and the new group leaves only once the old one serves again', async () => {
    const { h, agent } = await setup({ v001: { up: 4 } });
    await h.guards([{ account: '*', location: '*', stack: 'web', detail: '' }]);
    const id = await h.start(await h.pipeline({ name: 'guarded', stages: [deploy(h, agent, rolling)] }));
    await h.run();
    // The new group reports no Up instance, so taking 25% of v001 out counts as taking its traffic away.
    await agent.succeed((await h.queued(id))[0]!, { health: 'Starting' });
    const undone = await agent.work(id);
    expect(undone.map((t) => short(h, t))).toEqual(['enable v001', 'disable v002']);
    const s = await h.stage(id, '1');
    expect(s.status).toBe('TERMINAL');
    expect(s.error!.message).toContain(`disabling ${h.cluster()}-v001 would leave it with no Up instances`);
  });
});
