import type { InferResponseType } from 'hono/client';
import type { TrafficGuard } from '../../contract/applications.ts';
import type { ApplicationClusters, ClusterView, InstanceView, ServerGroupView } from '../../contract/clusters.ts';
import type { ServerGroupAction } from '../../contract/server-group-actions.ts';
import type { api } from './api.ts';

// Types only: importing the contract's values would pull zod into the console bundle.
export type { ApplicationClusters, ClusterView, ServerGroupAction, ServerGroupView, TrafficGuard };
export type InstanceHealth = InstanceView['health'];
export type ActionName = ServerGroupAction['action'];
export type Capacity = ServerGroupView['capacity'];

/** A load balancer as `GET /applications/{app}/load-balancers` lists it. */
export type LoadBalancerView = InferResponseType<(typeof api.applications)[':app']['load-balancers']['$get'], 200>['items'][number];

/** Every instance health with how the console names it; `satisfies` makes a new health fail `tsc` here. */
export const healthLabels = {
  Up: 'Up',
  Starting: 'Starting',
  Unknown: 'Unknown',
  Down: 'Down',
  OutOfService: 'Out of service',
  Draining: 'Draining',
} as const satisfies Record<InstanceHealth, string>;

/** "1 instance", "2 instances". */
export const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** "a", "a and b", "a, b and c". */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The version a server group runs: `artifact.version`, else its `VERSION` variable, else a docker image's tag. */
export function versionOf(artifact: Record<string, unknown> | null): string | null {
  if (!artifact) return null;
  if (typeof artifact.version === 'string' && artifact.version) return artifact.version;
  const env = artifact.env;
  if (env && typeof env === 'object' && typeof (env as Record<string, unknown>).VERSION === 'string') return (env as Record<string, string>).VERSION || null;
  if (typeof artifact.image === 'string') {
    const tag = /:([^:/@]+)$/.exec(artifact.image)?.[1];
    if (tag) return tag;
  }
  return null;
}

/** "v001" from the sequence, or the name's own suffix. */
export function sequenceLabel(g: Pick<ServerGroupView, 'name' | 'sequence'>): string {
  if (g.sequence !== null) return `v${String(g.sequence).padStart(3, '0')}`;
  return /-(v\d+)$/.exec(g.name)?.[1] ?? g.name;
}

/** A server group with where it lives, as the clusters view finds it. */
export interface PlacedGroup {
  group: ServerGroupView;
  account: string;
  provider: string | undefined;
  cluster: ClusterView;
  location: string;
  /** The server groups of the same cluster in the same account and location, newest first (`group` included). */
  siblings: ServerGroupView[];
}

/** The group whose id is `key`, else the first one named `key` (links from executions know only names). */
export function findGroup(data: ApplicationClusters, key: string | null): PlacedGroup | null {
  if (!key) return null;
  const all = data.accounts.flatMap((a) =>
    a.clusters.flatMap((c) =>
      c.locations.flatMap((l) =>
        l.serverGroups.map((g): PlacedGroup => ({ group: g, account: a.account, provider: a.provider, cluster: c, location: l.location, siblings: l.serverGroups })),
      ),
    ),
  );
  return all.find((p) => p.group.id === key) ?? all.find((p) => p.group.name === key) ?? null;
}

/** The cluster's current server group in a location: the newest enabled one (what a rollback rolls back from). */
export const currentGroup = (siblings: readonly ServerGroupView[]): ServerGroupView | undefined => siblings.find((g) => !g.disabled);

/** Load balancers in the group's account and location that it is in, or that are named for its cluster. */
export function balancersOf(balancers: readonly LoadBalancerView[], where: { account: string; location: string; cluster: string; groups: readonly string[] }): LoadBalancerView[] {
  return balancers.filter(
    (lb) => lb.account === where.account && lb.location === where.location && (lb.name === where.cluster || lb.serverGroups.some((n) => where.groups.includes(n))),
  );
}

const fits = (rule: string, value: string) => rule === '*' || rule === value;

/**
 * The enabled traffic guard covering a cluster, or null: `*` matches anything and an empty stack or
 * detail only an empty one (the edge's rule; the edge decides, this only labels the cluster).
 */
export function guardOf(guards: readonly TrafficGuard[], where: { account: string; location: string; stack: string; detail: string }): TrafficGuard | null {
  return (
    guards.find(
      (g) => g.enabled !== false && fits(g.account, where.account) && fits(g.location, where.location) && fits(g.stack ?? '', where.stack) && fits(g.detail ?? '', where.detail),
    ) ?? null
  );
}

/** What the confirmation of an action says, in words. */
export interface ActionText {
  title: string;
  message: string;
  confirmLabel: string;
  danger: boolean;
}

/** What an action is about to touch, for {@link describeAction}. */
export interface ActionScope {
  group: ServerGroupView;
  cluster: string;
  location: string;
  siblings: readonly ServerGroupView[];
  provider: string | undefined;
  /** For `resize`: the capacity asked for. */
  capacity?: Capacity;
}

const withVersion = (g: ServerGroupView) => {
  const v = versionOf(g.artifact);
  return v ? `${g.name} (version ${v})` : g.name;
};

function balancerText(g: ServerGroupView): string {
  if (g.loadBalancers.length === 0) return 'its load balancers (it has none)';
  return `the load balancer${g.loadBalancers.length === 1 ? '' : 's'} ${listText(g.loadBalancers)}`;
}

/** The other enabled groups of the cluster that keep serving, or a warning that none does. */
function keepsServing(s: ActionScope): string {
  const others = s.siblings.filter((g) => !g.disabled && g.id !== s.group.id).map((g) => g.name);
  return others.length
    ? ` The cluster keeps ${listText(others)} serving.`
    : ` No other server group of ${s.cluster} is enabled in ${s.location}: the cluster stops serving there.`;
}

/** The confirmation text for `action` on `scope.group`: the effect stated in words. */
export function describeAction(action: ActionName, s: ActionScope): ActionText {
  const g = s.group;
  const n = g.instances.length || g.capacity.desired;
  const instances = count(n, 'instance');
  switch (action) {
    case 'enable': {
      const others = s.siblings.filter((x) => !x.disabled && x.id !== g.id).map((x) => x.name);
      return {
        title: `Enable ${g.name}?`,
        message:
          `Enable ${g.name}: its ${instances} join${n === 1 ? 's' : ''} ${balancerText(g)} once healthy and take${n === 1 ? 's' : ''} traffic` +
          (others.length ? ` alongside ${listText(others)}.` : '.'),
        confirmLabel: 'Enable',
        danger: false,
      };
    }
    case 'disable':
      return {
        title: `Disable ${g.name}?`,
        message:
          `Disable ${g.name}: its ${instances} leave${n === 1 ? 's' : ''} ${balancerText(g)} after in-flight requests finish.` +
          keepsServing(s) +
          ` ${n === 1 ? 'The instance keeps' : 'The instances keep'} running, so it can be enabled again.`,
        confirmLabel: 'Disable',
        danger: true,
      };
    case 'destroy': {
      const stopped = s.provider === 'local' ? `${n === 1 ? "instance's process is" : "instances' processes are"} stopped` : `${n === 1 ? 'instance is' : 'instances are'} terminated`;
      return {
        title: `Destroy ${g.name}?`,
        message:
          `Destroy ${g.name}: ` +
          (g.disabled ? '' : `it leaves ${balancerText(g)} after in-flight requests finish, then `) +
          `its ${n} ${stopped} and the server group is deleted; this cannot be undone.` +
          (g.disabled ? '' : keepsServing(s)),
        confirmLabel: 'Destroy',
        danger: true,
      };
    }
    case 'resize': {
      const want = s.capacity ?? g.capacity;
      const from = g.capacity.desired;
      const change =
        want.desired > from
          ? ` ${count(want.desired - from, 'new instance')} start${want.desired - from === 1 ? 's' : ''}${g.disabled ? '' : ' and join the load balancer once healthy'}.`
          : want.desired < from
            ? ` ${count(from - want.desired, 'instance')} stop${from - want.desired === 1 ? 's' : ''} after in-flight requests finish.`
            : ' The number of instances stays the same.';
      return {
        title: `Resize ${g.name}?`,
        message: `Resize ${g.name} from ${from} to ${count(want.desired, 'instance')} (min ${want.min}, max ${want.max}).${change}`,
        confirmLabel: 'Resize',
        danger: want.desired < from,
      };
    }
    case 'rollback': {
      const current = currentGroup(s.siblings);
      const resized = current && g.capacity.desired < current.capacity.desired ? `resized to ${count(current.capacity.desired, 'instance')}, ` : '';
      return {
        title: `Roll back ${s.cluster} to ${g.name}?`,
        message: current
          ? `Roll back ${s.cluster} to ${withVersion(g)}: it is ${resized}${g.disabled ? 'enabled' : 'kept enabled'} and takes traffic once healthy; then ${withVersion(current)} is disabled: ` +
            `its instances leave the load balancer after in-flight requests finish but keep running, so you can roll forward again.`
          : `Roll back ${s.cluster} to ${g.name}: the cluster has no enabled server group to roll back from.`,
        confirmLabel: 'Roll back',
        danger: false,
      };
    }
    default: {
      const never: never = action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
}

/** Why a capacity cannot be sent, or null: whole numbers from 0 to 1000 with min ≤ desired ≤ max. */
export function capacityProblem(c: Capacity): { field: keyof Capacity; message: string } | null {
  for (const field of ['min', 'desired', 'max'] as const) {
    const v = c[field];
    if (!Number.isInteger(v) || v < 0 || v > 1000) return { field, message: 'a whole number from 0 to 1000' };
  }
  if (c.min > c.desired) return { field: 'min', message: 'must not be more than desired' };
  if (c.desired > c.max) return { field: 'max', message: 'must not be less than desired' };
  return null;
}

/** The cluster a server group belongs to, from its name: `hello-web-v001` → `hello-web`. */
export const clusterOfGroup = (name: string): string => name.replace(/-v\d{3,}$/, '');

/**
 * The server group an execution acts on when it is an action from the clusters view or the API
 * (no pipeline; the trigger names the action and the group), else null.
 */
export function actionTarget(e: { pipelineId: string | null; trigger: Record<string, unknown> }): string | null {
  return e.pipelineId === null && typeof e.trigger.action === 'string' && typeof e.trigger.serverGroup === 'string' ? e.trigger.serverGroup : null;
}

/** How many server groups of one cluster location the view shows before "Show all". */
export const GROUPS_SHOWN = 12;

/**
 * The server groups a location shows (newest first): the newest `limit`, and any older one that is
 * enabled (it serves traffic) or selected (a deep link names it); `hidden` counts the rest. Keeps a
 * cluster with hundreds of old disabled groups as quick to draw as one with a few.
 */
export function visibleGroups(groups: readonly ServerGroupView[], limit: number, selectedId: string | null): { shown: ServerGroupView[]; hidden: number } {
  const shown = groups.filter((g, i) => i < limit || !g.disabled || g.id === selectedId);
  return { shown, hidden: groups.length - shown.length };
}
