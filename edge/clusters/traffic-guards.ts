/**
 * Traffic guards (Orca's `TrafficGuard` and `ClusterMatcher`): in a guarded cluster, refuse an
 * operation that would leave the cluster in that location with no Up instances taking traffic.
 */
import type { TrafficGuard } from '../../contract/applications.ts';
import { isActive, type ServerGroupState, upCount } from './types.ts';

/** A guard as stored; fields the schema defaults may be missing in older documents. */
export type GuardRule = Pick<TrafficGuard, 'account' | 'location'> & { stack?: string; detail?: string; enabled?: boolean };

export interface GuardTarget {
  account: string;
  location: string;
  moniker: { stack?: string | null; detail?: string | null };
}

/** What an operation removes from service; names are server groups or instances of the cluster. */
export type GuardOperation =
  | { kind: 'disable'; serverGroups: string[] }
  | { kind: 'destroy'; serverGroups: string[] }
  | { kind: 'resize'; serverGroup: string; desired: number }
  | { kind: 'disableInstances' | 'terminateInstances'; instances: string[] };

export type GuardVerdict = { ok: true } | { ok: false; message: string };

const fits = (rule: string, value: string) => rule === '*' || rule === value;

/**
 * The enabled guard covering `target`, or null. `*` matches anything; an empty stack or detail
 * matches only an empty one. Of several matches the most specific wins (a named account before
 * `*`, then location, stack, detail), as in Orca; ties go to the first in the list.
 */
export function matchingGuard<G extends GuardRule>(guards: readonly G[], target: GuardTarget): G | null {
  const stack = target.moniker.stack ?? '';
  const detail = target.moniker.detail ?? '';
  const matches = guards.filter(
    (g) => g.enabled !== false && fits(g.account, target.account) && fits(g.location, target.location) && fits(g.stack ?? '', stack) && fits(g.detail ?? '', detail),
  );
  const wildcards = (g: G) => [g.account, g.location, g.stack ?? '', g.detail ?? ''].map((v) => (v === '*' ? 1 : 0));
  // Array.prototype.sort is stable, so equally specific guards keep their order.
  const ranked = matches.map((g) => ({ g, key: wildcards(g) })).sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i]! - b.key[i]!;
    return 0;
  });
  return ranked[0]?.g ?? null;
}

export interface GuardCheck {
  guards: readonly GuardRule[];
  /** The cluster's server groups in `target`'s account and location. */
  cluster: readonly ServerGroupState[];
  operation: GuardOperation;
  target: { account: string; location: string };
  /**
   * Refuse when the Up instances left would be this share of today's or less (Orca's
   * `traffic-guards.min-capacity-ratio`, in [0, 0.5)). 0, the default, refuses only zero.
   */
  minCapacityRatio?: number;
}

/** Up instances of an enabled group that would still be Up after `op`. */
function servingAfter(g: ServerGroupState, op: GuardOperation): number {
  if (!isActive(g)) return 0;
  switch (op.kind) {
    case 'disable':
    case 'destroy':
      return op.serverGroups.includes(g.name) ? 0 : upCount(g);
    case 'resize':
      // The provider keeps at most `desired` instances; assume it keeps Up ones first.
      return g.name === op.serverGroup ? Math.min(upCount(g), Math.max(0, op.desired)) : upCount(g);
    case 'disableInstances':
    case 'terminateInstances':
      return g.instances.filter((i) => i.health === 'Up' && !op.instances.includes(i.name)).length;
    default: {
      const never: never = op;
      throw new Error(`unknown guarded operation ${JSON.stringify(never)}`);
    }
  }
}

function describe(op: GuardOperation): string {
  switch (op.kind) {
    case 'disable':
      return `disabling ${op.serverGroups.join(', ')}`;
    case 'destroy':
      return `destroying ${op.serverGroups.join(', ')}`;
    case 'resize':
      return `resizing ${op.serverGroup} to ${op.desired}`;
    case 'disableInstances':
      return `disabling instances ${op.instances.join(', ')}`;
    case 'terminateInstances':
      return `terminating instances ${op.instances.join(', ')}`;
    default: {
      const never: never = op;
      throw new Error(`unknown guarded operation ${JSON.stringify(never)}`);
    }
  }
}

/** `{account: local, location: *, stack: "", detail: ""}`: a guard as a refusal names it. */
export const describeGuard = (g: GuardRule): string =>
  `{account: ${g.account}, location: ${g.location}, stack: ${JSON.stringify(g.stack ?? '')}, detail: ${JSON.stringify(g.detail ?? '')}}`;

const plural = (n: number) => `${n} Up instance${n === 1 ? '' : 's'}`;
const percent = (r: number) => `${Math.round(r * 1000) / 10}%`;

/**
 * Whether `operation` may run on the cluster. Counts Up instances of enabled groups now and after
 * the operation; refuses when a guard covers the cluster and none (or too few) would be left.
 * A cluster with no Up instances now is not checked: there is no traffic to protect.
 */
export function checkGuard({ guards, cluster, operation, target, minCapacityRatio = 0 }: GuardCheck): GuardVerdict {
  if (!(minCapacityRatio >= 0 && minCapacityRatio < 0.5)) throw new RangeError(`minCapacityRatio must be in [0, 0.5), not ${minCapacityRatio}`);
  const first = cluster[0];
  if (!first) return { ok: true };
  const guard = matchingGuard(guards, { ...target, moniker: first.moniker });
  if (!guard) return { ok: true };
  const now = cluster.reduce((n, g) => n + (isActive(g) ? upCount(g) : 0), 0);
  if (now === 0) return { ok: true };
  const after = cluster.reduce((n, g) => n + servingAfter(g, operation), 0);
  const ratio = after / now;
  if (ratio > minCapacityRatio) return { ok: true };
  const left = after === 0 ? 'no Up instances' : `${plural(after)} (${percent(ratio)} of the ${plural(now)} now; the minimum is ${percent(minCapacityRatio)})`;
  return {
    ok: false,
    message: `traffic guard ${describeGuard(guard)} protects cluster "${first.moniker.cluster}" in ${target.account}/${target.location}: ${describe(operation)} would leave it with ${left}`,
  };
}
