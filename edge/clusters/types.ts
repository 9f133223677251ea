/** The shapes cluster logic works on: a server group as inventory last saw it. */
import type { Capacity, Moniker } from '../../contract/operations.ts';
import type { instanceHealths } from '../../contract/operations.ts';

export type InstanceHealth = (typeof instanceHealths)[number];

export interface InstanceState {
  name: string;
  health: InstanceHealth;
}

/** One server group of a cluster in one account and location. */
export interface ServerGroupState {
  name: string;
  sequence: number | null;
  disabled: boolean;
  capacity: Capacity;
  /** Epoch ms. */
  createdAt: number;
  instances: InstanceState[];
  moniker: Moniker;
  /** What the group runs, as its agent reported it; absent when it reported none. */
  artifact?: Record<string, unknown>;
  /** The load balancers the group is in, as reported; absent when none. */
  loadBalancers?: string[];
}

/** Instances whose health is Up. */
export const upCount = (g: Pick<ServerGroupState, 'instances'>): number => g.instances.filter((i) => i.health === 'Up').length;

/**
 * Whether a group takes traffic. Gennaker's disable drains a group from its load balancers and
 * leaves its instances running (often still Up), so "active" is the enabled flag alone, not
 * Orca's "enabled or has an Up instance".
 */
export const isActive = (g: Pick<ServerGroupState, 'disabled'>): boolean => !g.disabled;

/** Newest first: created time, then sequence, then name, so ties order the same way every time. */
export function newestFirst<T extends Pick<ServerGroupState, 'createdAt' | 'sequence' | 'name'>>(a: T, b: T): number {
  return b.createdAt - a.createdAt || (b.sequence ?? -1) - (a.sequence ?? -1) || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}
