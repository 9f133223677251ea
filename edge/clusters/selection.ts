/**
 * Which server groups Orca's cluster stages act on (`DisableClusterTask`, `ScaleDownClusterTask`,
 * `ShrinkClusterTask`), the rollback pair, and checkPreconditions' cluster size. Every function
 * takes the groups of ONE cluster in ONE account and location.
 */
import { isActive, newestFirst, type ServerGroupState } from './types.ts';

type Group = ServerGroupState;
type Order = (a: Group, b: Group) => number;

const byActive: Order = (a, b) => Number(isActive(b)) - Number(isActive(a));
const byInstanceCount: Order = (a, b) => b.instances.length - a.instances.length;
const inOrder = (orders: Order[]): Order => (a, b) => {
  for (const o of orders) {
    const d = o(a, b);
    if (d !== 0) return d;
  }
  return 0;
};

/**
 * Groups a cluster stage leaves alone: those named in `exclude` (what this pipeline deployed) and,
 * as in Orca, any group created after the oldest of them (another deploy that raced this one).
 */
function untouchable(groups: readonly Group[], exclude: readonly string[]): Set<string> {
  const excluded = groups.filter((g) => exclude.includes(g.name));
  if (excluded.length === 0) return new Set();
  const since = Math.min(...excluded.map((g) => g.createdAt));
  return new Set(groups.filter((g) => exclude.includes(g.name) || g.createdAt > since).map((g) => g.name));
}

export interface DisableClusterOptions {
  remainingEnabledServerGroups?: number;
  preferLargerOverNewer?: boolean;
  exclude?: readonly string[];
}

/**
 * Enabled groups to disable so that the newest (or largest) `remainingEnabledServerGroups` stay
 * enabled. Excluded groups count toward those kept, so after a red/black deploy of v002 with the
 * default 1, every other enabled group is disabled.
 */
export function disableClusterTargets(groups: readonly Group[], { remainingEnabledServerGroups = 1, preferLargerOverNewer = false, exclude = [] }: DisableClusterOptions = {}): string[] {
  const skip = untouchable(groups, exclude);
  const candidates = groups.filter((g) => !skip.has(g.name));
  const keep = Math.max(0, remainingEnabledServerGroups - skip.size);
  const order = inOrder(preferLargerOverNewer ? [byInstanceCount, newestFirst] : [newestFirst]);
  return candidates.filter(isActive).sort(order).slice(keep).map((g) => g.name);
}

export interface ScaleDownClusterOptions {
  remainingFullSizeServerGroups?: number;
  allowScaleDownActive?: boolean;
  preferLargerOverNewer?: boolean;
  exclude?: readonly string[];
}

/**
 * Groups to scale to zero so that `remainingFullSizeServerGroups` keep their size. Enabled groups
 * are never scaled down (and count as kept) unless `allowScaleDownActive`; then they are kept
 * first. Groups already at zero are not returned again.
 */
export function scaleDownClusterTargets(
  groups: readonly Group[],
  { remainingFullSizeServerGroups = 1, allowScaleDownActive = false, preferLargerOverNewer = false, exclude = [] }: ScaleDownClusterOptions = {},
): string[] {
  const skip = untouchable(groups, exclude);
  const candidates = groups.filter((g) => !skip.has(g.name) && (allowScaleDownActive || !isActive(g)));
  const keep = Math.max(0, remainingFullSizeServerGroups - (groups.length - candidates.length));
  const order = inOrder([...(allowScaleDownActive ? [byActive] : []), ...(preferLargerOverNewer ? [byInstanceCount] : []), newestFirst]);
  return candidates
    .sort(order)
    .slice(keep)
    .filter((g) => g.capacity.desired > 0 || g.capacity.min > 0)
    .map((g) => g.name);
}

export interface ShrinkClusterOptions {
  shrinkToSize?: number;
  allowDeleteActive?: boolean;
  retainLargerOverNewer?: boolean;
  exclude?: readonly string[];
}

/**
 * Groups to destroy so that `shrinkToSize` remain, keeping the newest (or largest). Enabled groups
 * are never destroyed (and count as kept) unless `allowDeleteActive`; then they are kept first.
 * Highlander is `{shrinkToSize: 1, allowDeleteActive: true, exclude: [new group]}`.
 */
export function shrinkClusterTargets(
  groups: readonly Group[],
  { shrinkToSize = 1, allowDeleteActive = false, retainLargerOverNewer = false, exclude = [] }: ShrinkClusterOptions = {},
): string[] {
  const skip = untouchable(groups, exclude);
  const candidates = groups.filter((g) => !skip.has(g.name) && (allowDeleteActive || !isActive(g)));
  const keep = Math.max(0, shrinkToSize - (groups.length - candidates.length));
  const order = inOrder([...(allowDeleteActive ? [byActive] : []), ...(retainLargerOverNewer ? [byInstanceCount] : []), newestFirst]);
  return candidates.sort(order).slice(keep).map((g) => g.name);
}

export interface RollbackOptions {
  /** The group to bring back; without it, the next older group than `current`. */
  restoreServerGroupName?: string;
  /** The group rolled back from; without it, the newest enabled group. */
  current?: string;
}

export type RollbackPlan = { current: string; restore: string } | { error: string };

/** The group to roll back from and the one to restore, or why there is none. */
export function rollbackPlan(groups: readonly Group[], { restoreServerGroupName, current: currentName }: RollbackOptions = {}): RollbackPlan {
  const sorted = [...groups].sort(newestFirst);
  const current = currentName ? sorted.find((g) => g.name === currentName) : sorted.find(isActive);
  if (!current) {
    return { error: currentName ? `server group "${currentName}" is not in this cluster and location` : 'the cluster has no enabled server group to roll back' };
  }
  if (restoreServerGroupName) {
    const restore = sorted.find((g) => g.name === restoreServerGroupName);
    if (!restore) return { error: `server group "${restoreServerGroupName}" to restore is not in this cluster and location` };
    if (restore === current) return { error: `"${restoreServerGroupName}" is the current server group; name another one to restore` };
    return { current: current.name, restore: restore.name };
  }
  const restore = sorted[sorted.indexOf(current) + 1];
  if (!restore) return { error: `"${current.name}" is the oldest server group of the cluster; there is no previous one to roll back to` };
  return { current: current.name, restore: restore.name };
}

export const comparisons = ['<', '<=', '==', '>=', '>'] as const;
export type Comparison = (typeof comparisons)[number];

const compare: Record<Comparison, (a: number, e: number) => boolean> = {
  '<': (a, e) => a < e,
  '<=': (a, e) => a <= e,
  '==': (a, e) => a === e,
  '>=': (a, e) => a >= e,
  '>': (a, e) => a > e,
};

export interface ClusterSizeOptions {
  comparison: Comparison;
  expected: number;
  onlyEnabledServerGroups?: boolean;
}

/** checkPreconditions' `clusterSize`: the number of server groups (enabled ones if asked) compared to `expected`. */
export function clusterSizeCheck(groups: readonly Group[], { comparison, expected, onlyEnabledServerGroups = false }: ClusterSizeOptions): { ok: boolean; actual: number } {
  const actual = onlyEnabledServerGroups ? groups.filter((g) => !g.disabled).length : groups.length;
  return { ok: compare[comparison](actual, expected), actual };
}
