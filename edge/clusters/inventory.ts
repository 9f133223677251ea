/** Clusters as agents last reported them, read from `server_groups` and `instances` in one D1 batch. */
import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { ApplicationClusters, ClusterView, InstanceCounts, ServerGroupDetail, ServerGroupView } from '../../contract/clusters.ts';
import { accounts, instances, serverGroups } from '../../db/schema.ts';
import { database } from '../lib/db.ts';
import { iso, isoOf } from '../lib/time.ts';
import { newestFirst, type InstanceHealth, type ServerGroupState } from './types.ts';

type GroupRow = typeof serverGroups.$inferSelect;
type InstanceRow = typeof instances.$inferSelect;

/** A server group with its row id and place, as loaded from D1. */
export interface LoadedServerGroup extends ServerGroupState {
  id: string;
  account: string;
  location: string;
}

export interface ClusterQuery {
  application: string;
  account: string;
  /** All locations when absent. */
  location?: string;
  cluster: string;
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, 'en', { numeric: true });
const rowNewestFirst = (a: GroupRow, b: GroupRow) => newestFirst(a, b);

function instancesByGroup(rows: InstanceRow[]): Map<string, InstanceRow[]> {
  const map = new Map<string, InstanceRow[]>();
  for (const r of rows) {
    const list = map.get(r.serverGroupId);
    if (list) list.push(r);
    else map.set(r.serverGroupId, [r]);
  }
  for (const list of map.values()) list.sort(byName);
  return map;
}

/** Reads server groups matching `where` and their instances, in one batch. */
async function read(d1: D1Database, where: SQL | undefined): Promise<{ groups: GroupRow[]; members: Map<string, InstanceRow[]> }> {
  const db = database(d1);
  const ids = db.select({ id: serverGroups.id }).from(serverGroups).where(where);
  const [groups, rows] = await db.batch([db.select().from(serverGroups).where(where), db.select().from(instances).where(inArray(instances.serverGroupId, ids))]);
  return { groups: groups.sort(rowNewestFirst), members: instancesByGroup(rows) };
}

function stateOf(g: GroupRow, members: InstanceRow[]): LoadedServerGroup {
  return {
    id: g.id,
    account: g.account,
    location: g.location,
    name: g.name,
    sequence: g.sequence,
    disabled: g.disabled,
    capacity: g.capacity,
    createdAt: g.createdAt,
    instances: members.map((i) => ({ name: i.name, health: i.health })),
    moniker: { app: g.application, stack: g.stack, detail: g.detail, cluster: g.cluster, sequence: g.sequence },
    ...(g.artifact ? { artifact: g.artifact } : {}),
    ...(g.loadBalancers.length ? { loadBalancers: g.loadBalancers } : {}),
  };
}

/** One cluster's server groups in an account (and location, if given), newest first, with their instances. */
export async function loadCluster(d1: D1Database, q: ClusterQuery): Promise<LoadedServerGroup[]> {
  const where = and(
    eq(serverGroups.application, q.application),
    eq(serverGroups.cluster, q.cluster),
    eq(serverGroups.account, q.account),
    q.location === undefined ? undefined : eq(serverGroups.location, q.location),
  );
  const { groups, members } = await read(d1, where);
  return groups.map((g) => stateOf(g, members.get(g.id) ?? []));
}

const countKey: Record<InstanceHealth, keyof Omit<InstanceCounts, 'total'>> = {
  Up: 'up',
  Down: 'down',
  Starting: 'starting',
  OutOfService: 'outOfService',
  Draining: 'draining',
  Unknown: 'unknown',
};

/** Instances counted by health. */
export function countInstances(list: readonly { health: InstanceHealth }[]): InstanceCounts {
  const counts: InstanceCounts = { up: 0, down: 0, starting: 0, outOfService: 0, draining: 0, unknown: 0, total: list.length };
  for (const i of list) counts[countKey[i.health]]++;
  return counts;
}

function viewOf(g: GroupRow, members: InstanceRow[]): ServerGroupView {
  return {
    id: g.id,
    name: g.name,
    sequence: g.sequence,
    disabled: g.disabled,
    capacity: g.capacity,
    artifact: g.artifact,
    loadBalancers: g.loadBalancers,
    createdAt: isoOf(g.createdAt),
    reportedAt: isoOf(g.reportedAt),
    instanceCounts: countInstances(members),
    instances: members.map((i) => ({ name: i.name, health: i.health, address: i.address, launchedAt: iso(i.launchedAt) })),
  };
}

/** Groups items by a key, keeping first-seen order within each group. */
function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const t of items) {
    const list = map.get(key(t));
    if (list) list.push(t);
    else map.set(key(t), [t]);
  }
  return map;
}
const sortedKeys = <T>(m: Map<string, T>) => [...m.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

/** Every cluster of an application, by account (then cluster, then location), server groups newest first. */
export async function loadApplicationClusters(d1: D1Database, application: string): Promise<ApplicationClusters> {
  const db = database(d1);
  const where = eq(serverGroups.application, application);
  const ids = db.select({ id: serverGroups.id }).from(serverGroups).where(where);
  const used = db.selectDistinct({ name: serverGroups.account }).from(serverGroups).where(where);
  const [groups, rows, known] = await db.batch([
    db.select().from(serverGroups).where(where),
    db.select().from(instances).where(inArray(instances.serverGroupId, ids)),
    db.select({ name: accounts.name, provider: accounts.provider }).from(accounts).where(inArray(accounts.name, used)),
  ]);
  const members = instancesByGroup(rows);
  const providers = new Map(known.map((a) => [a.name, a.provider]));
  const byAccount = groupBy(groups.sort(rowNewestFirst), (g) => g.account);
  return {
    accounts: sortedKeys(byAccount).map((account) => {
      const byCluster = groupBy(byAccount.get(account)!, (g) => g.cluster);
      const provider = providers.get(account);
      return {
        account,
        ...(provider ? { provider } : {}),
        clusters: sortedKeys(byCluster).map((cluster): ClusterView => {
          const list = byCluster.get(cluster)!;
          const byLocation = groupBy(list, (g) => g.location);
          return {
            cluster,
            stack: list[0]!.stack,
            detail: list[0]!.detail,
            locations: sortedKeys(byLocation).map((location) => ({ location, serverGroups: byLocation.get(location)!.map((g) => viewOf(g, members.get(g.id) ?? [])) })),
          };
        }),
      };
    }),
  };
}

/** One server group by id with its instances and place, or null. */
export async function loadServerGroup(d1: D1Database, id: string): Promise<ServerGroupDetail | null> {
  const db = database(d1);
  const [groups, rows, owner] = await db.batch([
    db.select().from(serverGroups).where(eq(serverGroups.id, id)),
    db.select().from(instances).where(eq(instances.serverGroupId, id)),
    db
      .select({ provider: accounts.provider })
      .from(accounts)
      .where(inArray(accounts.name, db.select({ name: serverGroups.account }).from(serverGroups).where(eq(serverGroups.id, id)))),
  ]);
  const g = groups[0];
  if (!g) return null;
  const provider = owner[0]?.provider;
  return {
    ...viewOf(g, rows.sort(byName)),
    application: g.application,
    account: g.account,
    ...(provider ? { provider } : {}),
    location: g.location,
    cluster: g.cluster,
    stack: g.stack,
    detail: g.detail,
  };
}
