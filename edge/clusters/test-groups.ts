/** Builds server groups for the cluster tests: `sg('hello-v002', {createdAt: 2, up: 3})`. */
import { parseServerGroupName } from './naming.ts';
import type { InstanceHealth, ServerGroupState } from './types.ts';

export interface GroupSpec {
  createdAt?: number;
  disabled?: boolean;
  /** Instances that are Up. */
  up?: number;
  /** Further instances with other health. */
  other?: InstanceHealth[];
  desired?: number;
  min?: number;
}

export function sg(name: string, spec: GroupSpec = {}): ServerGroupState {
  const moniker = parseServerGroupName(name);
  if (!moniker) throw new Error(`bad test name ${name}`);
  const up = spec.up ?? 1;
  const instances = [
    ...Array.from({ length: up }, (_, i) => ({ name: `${name}-i${i}`, health: 'Up' as const })),
    ...(spec.other ?? []).map((health, i) => ({ name: `${name}-o${i}`, health })),
  ];
  const desired = spec.desired ?? instances.length;
  return {
    name,
    sequence: moniker.sequence,
    disabled: spec.disabled ?? false,
    capacity: { min: spec.min ?? desired, max: Math.max(desired, 1), desired },
    createdAt: spec.createdAt ?? (moniker.sequence ?? 0) * 1000,
    instances,
    moniker,
  };
}
