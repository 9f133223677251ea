/**
 * Pure judgments over the provider's records: what health an instance shows, which instances a
 * load balancer sends traffic to, which ones a scale-down stops, and the contract snapshots.
 */
import type { InstanceSnapshot, InventoryReport, ServerGroupSnapshot } from '../../../contract/operations.ts';
import type { ProcessHealth } from './health.ts';
import type { Backend } from './load-balancer.ts';
import { httpAddress } from './names.ts';
import type { InstanceRecord, LoadBalancerRecord, ServerGroupRecord } from './state.ts';

/** What the provider knows of an instance beyond its record; lives only while the agent runs. */
export interface InstanceStatus {
  health: ProcessHealth;
  /** Taken out of rotation, waiting for its requests in flight (a disable, or before a stop). */
  draining: boolean;
  /** Being stopped for good (scale-down, destroy): never back in rotation, never restarted. */
  stopping: boolean;
}

export type StatusOf = (group: ServerGroupRecord, instance: InstanceRecord) => InstanceStatus;

/** The health the contract shows: the LB's view (Draining, OutOfService) over the process's. */
export function displayedHealth(status: InstanceStatus, outOfRotation: boolean): InstanceSnapshot['health'] {
  if (status.draining || status.stopping) return 'Draining';
  if (outOfRotation && status.health === 'Up') return 'OutOfService';
  return status.health;
}

/** Takes requests: not taken out (see {@link takenOut}), Up, and neither draining nor stopping. */
export function inRotation(status: InstanceStatus, outOfRotation: boolean): boolean {
  return !outOfRotation && status.health === 'Up' && !status.draining && !status.stopping;
}

/** Out of its load balancers by the operator's will: its whole group is disabled, or it alone is (a partial disable). */
export function takenOut(group: ServerGroupRecord, instance: InstanceRecord): boolean {
  return group.disabled || instance.outOfService === true;
}

/** The instances load balancer `lb` sends traffic to now, in a stable order. */
export function backendsFor(lb: LoadBalancerRecord, groups: readonly ServerGroupRecord[], statusOf: StatusOf): Backend[] {
  return groups
    .filter((g) => g.account === lb.account && g.location === lb.location && g.loadBalancers.includes(lb.name))
    .flatMap((g) => g.instances.filter((i) => inRotation(statusOf(g, i), takenOut(g, i))).map((i) => ({ instance: i.name, port: i.port })));
}

/** "hello (http://127.0.0.1:9100), hello-internal (…)" for task logs. */
export function describeLoadBalancers(group: ServerGroupRecord, loadBalancers: readonly LoadBalancerRecord[], host: string): string {
  return group.loadBalancers
    .map((name) => {
      const lb = loadBalancers.find((l) => l.account === group.account && l.location === group.location && l.name === name);
      return lb ? `${name} (${httpAddress(host, lb.port)})` : name;
    })
    .join(', ');
}

/**
 * The `count` instances a scale-down stops: the least useful first, and among equals the newest,
 * so the instances that have served longest stay. Down serves nothing and cannot; then those a
 * partial disable took out (they serve nothing now); then Starting (about to serve); Up last.
 */
export function pickInstancesToStop<T extends { index: number; health: ProcessHealth; outOfService?: boolean }>(instances: readonly T[], count: number): T[] {
  const rank = (i: T) => (i.health === 'Down' ? 0 : i.outOfService ? 1 : i.health === 'Starting' ? 2 : 3);
  return [...instances].sort((a, b) => rank(a) - rank(b) || b.index - a.index).slice(0, Math.max(0, count));
}

/**
 * The instances a disable by `percentage` takes out (Clouddriver's `desiredPercentage`): enough
 * that ceil(percentage% of the group) are out, counting those an earlier step took out already,
 * chosen as a scale-down chooses. It never puts one back: a lower percentage than before takes none.
 */
export function pickInstancesToDisable<T extends { index: number; health: ProcessHealth; outOfService: boolean }>(instances: readonly T[], percentage: number): T[] {
  const target = Math.ceil((instances.length * percentage) / 100);
  const inService = instances.filter((i) => !i.outOfService);
  return pickInstancesToStop(inService, target - (instances.length - inService.length));
}

/** A server group as the contract shows it. */
export function serverGroupSnapshot(group: ServerGroupRecord, statusOf: StatusOf, host: string): ServerGroupSnapshot {
  return {
    name: group.name,
    location: group.location,
    moniker: group.moniker,
    disabled: group.disabled,
    capacity: group.capacity,
    artifact: { ...group.artifact },
    loadBalancers: [...group.loadBalancers],
    createdAt: group.createdAt,
    instances: group.instances.map((instance) => ({
      id: instance.name,
      name: instance.name,
      health: displayedHealth(statusOf(group, instance), takenOut(group, instance)),
      address: httpAddress(host, instance.port),
      launchedAt: instance.launchedAt,
    })),
  };
}

/** Everything `account` runs, with each load balancer's address and attached groups. */
export function inventoryReport(
  account: string,
  groups: readonly ServerGroupRecord[],
  loadBalancers: readonly LoadBalancerRecord[],
  statusOf: StatusOf,
  host: string,
): InventoryReport {
  const own = groups.filter((g) => g.account === account);
  return {
    account,
    serverGroups: own.map((g) => serverGroupSnapshot(g, statusOf, host)),
    loadBalancers: loadBalancers
      .filter((lb) => lb.account === account)
      .map((lb) => ({
        name: lb.name,
        location: lb.location,
        address: httpAddress(host, lb.port),
        serverGroups: own.filter((g) => g.location === lb.location && g.loadBalancers.includes(lb.name)).map((g) => g.name),
      })),
  };
}
