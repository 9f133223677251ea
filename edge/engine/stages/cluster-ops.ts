/** `disableCluster`, `scaleDownCluster`, `shrinkCluster`, `rollbackCluster`: cluster-wide operations. */
import { disableClusterTargets, rollbackPlan, scaleDownClusterTargets, shrinkClusterTargets } from '../../clusters/selection.ts';
import type { ServerGroupState } from '../../clusters/types.ts';
import type { StageBehaviour, StageRuntime, StageStep } from '../types.ts';
import { planBehaviour, type PlanStep } from './agent-plan.ts';
import { deployedEarlier } from './targets.ts';

interface Where {
  account: string;
  location: string;
  cluster: string;
  groups: ServerGroupState[];
  exclude: string[];
}

async function where(rt: StageRuntime): Promise<Where> {
  const c = rt.stage.context;
  const account = String(c.account);
  const location = String(c.location);
  const cluster = String(c.cluster);
  return { account, location, cluster, groups: await rt.inventory.cluster(account, location, cluster), exclude: [...deployedEarlier(rt)] };
}

const ref = (w: Where, name: string) => ({ account: w.account, location: w.location, serverGroupName: name });
const guard = (w: Where, operation: NonNullable<Extract<PlanStep, { kind: 'op' }>['guard']>['operation']) => ({ account: w.account, location: w.location, cluster: w.cluster, operation });
const byName = (w: Where, name: string) => w.groups.find((g) => g.name === name)!;

export const disableCluster: StageBehaviour = {
  type: 'disableCluster',
  ...planBehaviour(async (rt) => {
    const w = await where(rt);
    const c = rt.stage.context;
    const names = disableClusterTargets(w.groups, { remainingEnabledServerGroups: Number(c.remainingEnabledServerGroups ?? 1), preferLargerOverNewer: c.preferLargerOverNewer === true, exclude: w.exclude });
    return names.map((n): PlanStep => ({ kind: 'op', label: `disable ${n}`, operation: 'disableServerGroup', payload: ref(w, n), guard: guard(w, { kind: 'disable', serverGroups: [n] }) }));
  }),
};

export const scaleDownCluster: StageBehaviour = {
  type: 'scaleDownCluster',
  ...planBehaviour(async (rt) => {
    const w = await where(rt);
    const c = rt.stage.context;
    const names = scaleDownClusterTargets(w.groups, {
      remainingFullSizeServerGroups: Number(c.remainingFullSizeServerGroups ?? 1),
      allowScaleDownActive: c.allowScaleDownActive === true,
      preferLargerOverNewer: c.preferLargerOverNewer === true,
      exclude: w.exclude,
    });
    return names.map((n): PlanStep => ({
      kind: 'op', label: `scale down ${n}`, operation: 'resizeServerGroup',
      payload: { ...ref(w, n), capacity: { min: 0, max: byName(w, n).capacity.max, desired: 0 }, waitForHealthy: false },
      guard: guard(w, { kind: 'resize', serverGroup: n, desired: 0 }),
    }));
  }),
};

export const shrinkCluster: StageBehaviour = {
  type: 'shrinkCluster',
  ...planBehaviour(async (rt) => {
    const w = await where(rt);
    const c = rt.stage.context;
    const names = shrinkClusterTargets(w.groups, { shrinkToSize: Number(c.shrinkToSize ?? 1), allowDeleteActive: c.allowDeleteActive === true, retainLargerOverNewer: c.retainLargerOverNewer === true, exclude: w.exclude });
    return names.map((n): PlanStep => ({ kind: 'op', label: `destroy ${n}`, operation: 'destroyServerGroup', payload: ref(w, n), guard: guard(w, { kind: 'destroy', serverGroups: [n] }) }));
  }),
};

/**
 * Rollback = re-enable the previous group: enable the restore group, resize it to the larger
 * capacity of the two, optionally wait, then disable the current one (Spinnaker's explicit rollback).
 */
export const rollbackCluster: StageBehaviour = {
  type: 'rollbackCluster',
  ...planBehaviour(async (rt): Promise<PlanStep[] | StageStep> => {
    const w = await where(rt);
    const c = rt.stage.context;
    const plan = rollbackPlan(w.groups, { restoreServerGroupName: c.restoreServerGroupName as string | undefined });
    if ('error' in plan) return { status: 'FAILED', error: { kind: 'user', message: plan.error, field: c.restoreServerGroupName ? 'restoreServerGroupName' : 'cluster' } };
    const current = byName(w, plan.current);
    const restore = byName(w, plan.restore);
    const steps: PlanStep[] = [];
    if (restore.capacity.desired < current.capacity.desired) {
      steps.push({ kind: 'op', label: `resize ${restore.name} to ${current.capacity.desired}`, operation: 'resizeServerGroup', payload: { ...ref(w, restore.name), capacity: { ...current.capacity } } });
    }
    steps.push({ kind: 'op', label: `enable ${restore.name}`, operation: 'enableServerGroup', payload: ref(w, restore.name) });
    const delay = Number(c.delayBeforeDisableSec ?? 0);
    if (delay > 0) steps.push({ kind: 'delay', label: `wait ${delay}s before disabling ${current.name}`, seconds: delay });
    steps.push({ kind: 'op', label: `disable ${current.name}`, operation: 'disableServerGroup', payload: ref(w, current.name), guard: guard(w, { kind: 'disable', serverGroups: [current.name] }) });
    return steps;
  }),
};
