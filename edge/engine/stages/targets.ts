/** Choosing the server group an operation aims at, as Spinnaker's target selectors do. */
import type { ServerGroupState } from '../../clusters/types.ts';
import type { StageRuntime } from '../types.ts';

export type Target = 'current_asg_dynamic' | 'ancestor_asg_dynamic' | 'oldest_asg_dynamic';

/** Newest is current, the next older is the ancestor, the last is the oldest; or an exact name. */
export function pickTarget(groups: readonly ServerGroupState[], target: Target, exact?: string): ServerGroupState | { error: string } {
  const newestFirst = [...groups].sort((a, b) => b.createdAt - a.createdAt);
  if (exact) return newestFirst.find((g) => g.name === exact) ?? { error: `no server group "${exact}" in this cluster and location` };
  // As Clouddriver's validateOldest: in a cluster of one, the oldest is the current group, and a
  // stage aimed at "oldest" (usually to clean up) must not hit the group serving traffic.
  if (target === 'oldest_asg_dynamic' && newestFirst.length === 1) return { error: `the cluster has only one server group ("${newestFirst[0]!.name}"), so it has no oldest one to aim at` };
  const pick = target === 'current_asg_dynamic' ? newestFirst[0] : target === 'ancestor_asg_dynamic' ? newestFirst[1] : newestFirst.at(-1);
  return pick ?? { error: `the cluster has no ${target === 'ancestor_asg_dynamic' ? 'previous' : ''} server group to aim at`.replace('  ', ' ') };
}

/** Server groups deployed by earlier stages of this execution: cluster stages never touch them. */
export function deployedEarlier(rt: StageRuntime): Set<string> {
  const names = new Set<string>();
  for (const s of rt.stages) {
    if (s.id === rt.stage.id) continue;
    for (const n of (s.outputs.deployedServerGroups ?? []) as string[]) if (n) names.add(n);
  }
  return names;
}
