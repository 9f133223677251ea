/**
 * `deploy`: a new server group `app-stack-detail-vNNN` per cluster, then traffic moved by the
 * strategy (Spinnaker's section 2). A deploy never edits a running group. The agent's create
 * waits for the new group to be healthy; if it never is, the create fails and nothing after it
 * runs, so the serving group keeps serving. A rolling red/black that fails once old instances
 * are out puts them back and takes the new group out (Orca's `rollback.onFailure`).
 */
import { operations } from '../../../contract/operations.ts';
import { firstIssue } from '../../../contract/errors.ts';
import { targetPercentages } from '../../../contract/stages/deploy.ts';
import { clusterName, nextSequence, serverGroupName } from '../../clusters/naming.ts';
import type { ServerGroupState } from '../../clusters/types.ts';
import type { StageBehaviour, StageRuntime, StageStep } from '../types.ts';
import { planBehaviour, type PlanStep } from './agent-plan.ts';
import { deployedEarlier } from './targets.ts';

interface ClusterSpec {
  account: string;
  location: string;
  application: string;
  stack: string;
  freeFormDetails: string;
  strategy: 'redblack' | 'highlander' | 'rollingredblack' | 'none';
  capacity: { min: number; max: number; desired: number };
  artifact: Record<string, unknown>;
  loadBalancers: string[];
  maxRemainingAsgs?: number;
  scaleDown?: boolean;
  delayBeforeDisableSec?: number;
  delayBeforeScaleDownSec?: number;
  targetPercentages?: number[];
  healthCheckTimeoutSec?: number;
  healthCheckPath?: string;
}

const ref = (spec: ClusterSpec, name: string) => ({ account: spec.account, location: spec.location, serverGroupName: name });

/** A capacity field from `${…}` is whatever the expression gave: parameters are strings, so "3" counts as 3. */
const whole = (v: unknown) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v) as number;
const capacityOf = (c: ClusterSpec['capacity']) => ({ min: whole(c.min), max: whole(c.max), desired: whole(c.desired) });

const delayBeforeDisable = (seconds: number): PlanStep => ({ kind: 'delay', label: `wait ${seconds}s before disabling`, seconds });

/** The percentages a rolling red/black walks through: those below 100 as given, then 100 (always last, as in Orca). */
export function rollingPercentages(targetPercentages: readonly number[] | undefined): number[] {
  return [...(targetPercentages ?? []).filter((p) => p < 100), 100];
}

type Disable = (group: string, percentage?: number) => Extract<PlanStep, { kind: 'op' }>;

/**
 * Rolling red/black (Orca's RollingRedBlackStrategy): for each percentage p the new group grows
 * to p% of the desired capacity (it was created at the first one), then p% of each serving
 * group's instances leave the load balancer, so about p% of requests reach the new version at
 * every step instead of whatever the instance counts happen to split. 100% is a full disable.
 * Every step from the first disable to the last carries its rollback (see {@link rollback}).
 */
function rollingSteps(spec: ClusterSpec, name: string, enabled: ServerGroupState[], disable: Disable): PlanStep[] {
  const steps: PlanStep[] = [];
  // The old groups a failure would leave partly out of service: a disable counts from its own step, as it may fail halfway.
  const touched: ServerGroupState[] = [];
  const onFailure = () => (touched.length ? { onFailure: rollback(spec, name, [...touched], disable) } : {});
  for (const [i, p] of rollingPercentages(spec.targetPercentages).entries()) {
    if (i > 0) {
      const desired = Math.ceil((spec.capacity.desired * p) / 100);
      steps.push({ kind: 'op', label: `resize ${name} to ${p}%`, operation: 'resizeServerGroup', payload: { ...ref(spec, name), capacity: { ...spec.capacity, min: Math.min(spec.capacity.min, desired), desired } }, ...onFailure() });
    }
    // Orca waits (delayBeforeCleanup) before every step's disable: time to watch the new share of traffic.
    if (enabled.length && spec.delayBeforeDisableSec) steps.push(delayBeforeDisable(spec.delayBeforeDisableSec));
    for (const g of enabled) {
      if (!touched.includes(g)) touched.push(g);
      steps.push({ ...disable(g.name, p < 100 ? p : undefined), ...onFailure() });
    }
  }
  return steps;
}

/**
 * Undoing a rolling red/black halfway, as Orca's `rollback.onFailure` does: the old groups go
 * back into service whole (an enable undoes a partial disable), and only then the new group
 * leaves it, so requests always have somewhere to go. The new group keeps running, for a look.
 */
function rollback(spec: ClusterSpec, name: string, touched: ServerGroupState[], disable: Disable): PlanStep[] {
  const enable = (g: ServerGroupState): PlanStep => ({ kind: 'op', label: `roll back: enable ${g.name}`, operation: 'enableServerGroup', payload: ref(spec, g.name) });
  const out = disable(name);
  return [...touched.map(enable), { ...out, label: `roll back: ${out.label}` }];
}

/** The steps that move traffic from `others` (the cluster's groups before this deploy) to `name`. */
export function strategySteps(spec: ClusterSpec, name: string, cluster: string, others: ServerGroupState[]): PlanStep[] {
  const guard = (operation: NonNullable<Extract<PlanStep, { kind: 'op' }>['guard']>['operation']) => ({ account: spec.account, location: spec.location, cluster, operation });
  // A partial disable is guarded as a full one: it never takes more, so what passes here is safe.
  const disable: Disable = (group, percentage) => ({
    kind: 'op',
    label: percentage === undefined ? `disable ${group}` : `disable ${percentage}% of ${group}`,
    operation: 'disableServerGroup',
    payload: { ...ref(spec, group), ...(percentage === undefined ? {} : { desiredPercentage: percentage }) },
    guard: guard({ kind: 'disable', serverGroups: [group] }),
  });
  const destroy = (g: ServerGroupState): PlanStep => ({ kind: 'op', label: `destroy ${g.name}`, operation: 'destroyServerGroup', payload: ref(spec, g.name), guard: guard({ kind: 'destroy', serverGroups: [g.name] }) });
  const newestFirst = [...others].sort((a, b) => b.createdAt - a.createdAt);
  switch (spec.strategy) {
    case 'none':
      return [];
    case 'highlander':
      return newestFirst.map(destroy);
    case 'redblack':
    case 'rollingredblack': {
      const steps: PlanStep[] = [];
      const enabled = newestFirst.filter((g) => !g.disabled);
      if (spec.strategy === 'rollingredblack') steps.push(...rollingSteps(spec, name, enabled, disable));
      else {
        if (spec.delayBeforeDisableSec) steps.push(delayBeforeDisable(spec.delayBeforeDisableSec));
        steps.push(...enabled.map((g) => disable(g.name)));
      }
      if (spec.scaleDown) {
        if (spec.delayBeforeScaleDownSec) steps.push({ kind: 'delay', label: `wait ${spec.delayBeforeScaleDownSec}s before scaling down`, seconds: spec.delayBeforeScaleDownSec });
        // Groups already at zero are left alone, as scaleDownCluster does.
        for (const g of newestFirst.filter((g) => g.capacity.desired > 0 || g.capacity.min > 0)) {
          steps.push({ kind: 'op', label: `scale down ${g.name}`, operation: 'resizeServerGroup', payload: { ...ref(spec, g.name), capacity: { min: 0, max: g.capacity.max, desired: 0 }, waitForHealthy: false }, guard: guard({ kind: 'resize', serverGroup: g.name, desired: 0 }) });
        }
      }
      // maxRemainingAsgs counts the new group: keep the newest (max - 1) of the others.
      if (spec.maxRemainingAsgs && spec.maxRemainingAsgs > 0) steps.push(...newestFirst.slice(spec.maxRemainingAsgs - 1).map(destroy));
      return steps;
    }
    default: {
      const never: never = spec.strategy;
      throw new Error(`unknown strategy ${String(never)}`);
    }
  }
}

async function plan(rt: StageRuntime): Promise<PlanStep[] | StageStep> {
  const specs = (rt.stage.context.clusters ?? []) as ClusterSpec[];
  const steps: PlanStep[] = [];
  const exclude = deployedEarlier(rt);
  for (const [i, written] of specs.entries()) {
    const spec = { ...written, capacity: capacityOf(written.capacity) };
    if (spec.strategy === 'rollingredblack') {
      // Saved pipelines are checked, but one saved before the rule, or an execution's own config, may not be.
      const percentages = targetPercentages.safeParse(spec.targetPercentages ?? []);
      if (!percentages.success) return { status: 'FAILED', error: { kind: 'user', ...firstIssue(percentages.error, ['clusters', i, 'targetPercentages']) } };
    }
    const cluster = clusterName({ app: spec.application, stack: spec.stack, detail: spec.freeFormDetails });
    const groups = await rt.inventory.cluster(spec.account, spec.location, cluster);
    let sequence: number;
    try {
      sequence = nextSequence(groups);
    } catch (err) {
      return { status: 'FAILED', error: { kind: 'user', message: (err as Error).message, field: `clusters[${i}]` } };
    }
    const moniker = { app: spec.application, stack: spec.stack, detail: spec.freeFormDetails, cluster, sequence };
    const name = serverGroupName(moniker, sequence);
    const first = spec.strategy === 'rollingredblack' ? rollingPercentages(spec.targetPercentages)[0]! : 100;
    const desired = Math.ceil((spec.capacity.desired * first) / 100);
    const payload = {
      ...ref(spec, name),
      moniker,
      capacity: { ...spec.capacity, min: Math.min(spec.capacity.min, desired), desired },
      artifact: spec.artifact,
      loadBalancers: spec.loadBalancers,
      enabled: true,
      healthCheck: { path: spec.healthCheckPath ?? '/health', timeoutSec: spec.healthCheckTimeoutSec ?? 120 },
    };
    const valid = operations.createServerGroup.safeParse(payload);
    if (!valid.success) {
      const issue = firstIssue(valid.error);
      const field = `clusters[${i}].${issue.field}`;
      return { status: 'FAILED', error: { kind: 'user', message: `${field}: ${issue.message.replace(`${issue.field}: `, '')}`, field } };
    }
    steps.push({ kind: 'op', label: `create ${name}`, operation: 'createServerGroup', payload: valid.data });
    steps.push(...strategySteps(spec, name, cluster, groups.filter((g) => !exclude.has(g.name))));
  }
  return steps;
}

export const deploy: StageBehaviour = { type: 'deploy', ...planBehaviour(plan) };
