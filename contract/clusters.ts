/** What the API shows of clusters: application → account → cluster → location → server groups → instances. */
import { z } from 'zod';
import { instanceHealths } from './operations.ts';

export const instanceView = z.object({
  name: z.string(),
  health: z.enum(instanceHealths),
  address: z.string().nullable(),
  launchedAt: z.string().nullable(),
});
export type InstanceView = z.infer<typeof instanceView>;

/** Instances by health; `total` counts all of them. */
export const instanceCounts = z.object({
  up: z.number().int(),
  down: z.number().int(),
  starting: z.number().int(),
  outOfService: z.number().int(),
  draining: z.number().int(),
  unknown: z.number().int(),
  total: z.number().int(),
});
export type InstanceCounts = z.infer<typeof instanceCounts>;

export const serverGroupView = z.object({
  id: z.string(),
  name: z.string(),
  sequence: z.number().int().nullable(),
  disabled: z.boolean(),
  capacity: z.object({ min: z.number().int(), max: z.number().int(), desired: z.number().int() }),
  artifact: z.record(z.string(), z.unknown()).nullable(),
  loadBalancers: z.array(z.string()),
  createdAt: z.string(),
  /** When an agent last reported this group. */
  reportedAt: z.string(),
  instanceCounts,
  instances: z.array(instanceView),
});
export type ServerGroupView = z.infer<typeof serverGroupView>;

export const clusterLocationView = z.object({
  location: z.string(),
  /** Newest first. */
  serverGroups: z.array(serverGroupView),
});

export const clusterView = z.object({
  cluster: z.string(),
  stack: z.string(),
  detail: z.string(),
  locations: z.array(clusterLocationView),
});
export type ClusterView = z.infer<typeof clusterView>;

export const accountClustersView = z.object({
  account: z.string(),
  /** The account's provider (`local`, `kubernetes`, …), when the account is registered. */
  provider: z.string().optional(),
  clusters: z.array(clusterView),
});

export const applicationClusters = z.object({ accounts: z.array(accountClustersView) });
export type ApplicationClusters = z.infer<typeof applicationClusters>;

/** One server group with where it lives. */
export const serverGroupDetail = serverGroupView.extend({
  application: z.string(),
  account: z.string(),
  provider: z.string().optional(),
  location: z.string(),
  cluster: z.string(),
  stack: z.string(),
  detail: z.string(),
});
export type ServerGroupDetail = z.infer<typeof serverGroupDetail>;
