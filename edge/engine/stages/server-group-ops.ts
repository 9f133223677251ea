/** `enableServerGroup`, `disableServerGroup`, `resizeServerGroup`, `destroyServerGroup`: one operation on one group. */
import type { StageBehaviour, StageRuntime, StageStep } from '../types.ts';
import { planBehaviour, type PlanStep } from './agent-plan.ts';
import { pickTarget, type Target } from './targets.ts';

type Kind = 'enable' | 'disable' | 'resize' | 'destroy';

type Capacity = { min: number; max: number; desired: number };

function desiredAfterResize(c: Record<string, unknown>, target: Capacity, cluster: readonly { capacity: Capacity }[]): Capacity | { error: string; field: string } {
  const action = (c.action as string | undefined) ?? 'scale_exact';
  // scale_to_cluster: the cluster's largest capacity, field by field (Orca's ScaleToClusterResizeStrategy),
  // then scaleNum/scalePct on top when given.
  const current = action === 'scale_to_cluster'
    ? cluster.reduce((a, g) => ({ min: Math.max(a.min, g.capacity.min), max: Math.max(a.max, g.capacity.max), desired: Math.max(a.desired, g.capacity.desired) }), target)
    : target;
  const num = c.scaleNum === undefined ? undefined : Number(c.scaleNum);
  const pct = c.scalePct === undefined ? undefined : Number(c.scalePct);
  if (action === 'scale_exact') {
    const cap = c.capacity as { min: number; max: number; desired: number } | undefined;
    if (!cap) return { error: 'capacity is required for scale_exact', field: 'capacity' };
    return { min: Number(cap.min), max: Number(cap.max), desired: Number(cap.desired) };
  }
  const delta = num !== undefined ? num : pct !== undefined ? Math.ceil((current.desired * pct) / 100) : action === 'scale_to_cluster' ? 0 : undefined;
  if (delta === undefined || Number.isNaN(delta)) return { error: `${action} needs scaleNum or scalePct`, field: pct !== undefined ? 'scalePct' : 'scaleNum' };
  const desired = Math.max(0, action === 'scale_down' ? current.desired - delta : current.desired + delta);
  return { min: Math.min(current.min, desired), max: Math.max(current.max, desired), desired };
}

function planFor(kind: Kind) {
  return async (rt: StageRuntime): Promise<PlanStep[] | StageStep> => {
    const c = rt.stage.context;
    const account = String(c.account);
    const location = String(c.location);
    const cluster = String(c.cluster);
    const groups = await rt.inventory.cluster(account, location, cluster);
    const target = pickTarget(groups, (c.target as Target | undefined) ?? 'current_asg_dynamic', c.serverGroupName as string | undefined);
    if ('error' in target) return { status: 'FAILED', error: { kind: 'user', message: target.error, field: c.serverGroupName ? 'serverGroupName' : 'target' } };
    const ref = { account, location, serverGroupName: target.name };
    const guard = (operation: NonNullable<Extract<PlanStep, { kind: 'op' }>['guard']>['operation']) => ({ account, location, cluster, operation });
    switch (kind) {
      case 'enable':
        return [{ kind: 'op', label: `enable ${target.name}`, operation: 'enableServerGroup', payload: ref }];
      case 'disable':
        return [{ kind: 'op', label: `disable ${target.name}`, operation: 'disableServerGroup', payload: ref, guard: guard({ kind: 'disable', serverGroups: [target.name] }) }];
      case 'destroy':
        return [{ kind: 'op', label: `destroy ${target.name}`, operation: 'destroyServerGroup', payload: ref, guard: guard({ kind: 'destroy', serverGroups: [target.name] }) }];
      case 'resize': {
        const capacity = desiredAfterResize(c, target.capacity, groups);
        if ('error' in capacity) return { status: 'FAILED', error: { kind: 'user', message: capacity.error, field: capacity.field } };
        return [{
          kind: 'op', label: `resize ${target.name} to ${capacity.desired}`, operation: 'resizeServerGroup', payload: { ...ref, capacity },
          ...(capacity.desired < target.capacity.desired ? { guard: guard({ kind: 'resize', serverGroup: target.name, desired: capacity.desired }) } : {}),
        }];
      }
      default: {
        const never: never = kind;
        throw new Error(`unknown operation ${String(never)}`);
      }
    }
  };
}

export const enableServerGroup: StageBehaviour = { type: 'enableServerGroup', ...planBehaviour(planFor('enable')) };
export const disableServerGroup: StageBehaviour = { type: 'disableServerGroup', ...planBehaviour(planFor('disable')) };
export const resizeServerGroup: StageBehaviour = { type: 'resizeServerGroup', ...planBehaviour(planFor('resize')) };
export const destroyServerGroup: StageBehaviour = { type: 'destroyServerGroup', ...planBehaviour(planFor('destroy')) };
