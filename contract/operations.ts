/**
 * What the edge asks agents to do (tasks) and what agents report back (results and inventory).
 * One source for the edge, the agent and its providers.
 */
import { z } from 'zod';
import { metricQuery } from './canary.ts';

export const instanceHealths = ['Up', 'Down', 'OutOfService', 'Starting', 'Unknown', 'Draining'] as const;

export const capacitySpec = z.strictObject({
  min: z.number().int().min(0).max(1000),
  max: z.number().int().min(0).max(1000),
  desired: z.number().int().min(0).max(1000),
});
export type Capacity = z.infer<typeof capacitySpec>;

/**
 * What a server group runs. `process` is the local provider's artifact (a command run once per
 * instance with PORT set); `docker` is an image for the container providers.
 */
export const artifactSpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('process'),
    command: z.string().min(1).max(2000),
    args: z.array(z.string().max(2000)).max(100).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(10_000)).default({}),
    /** A label shown in the console (e.g. "hello 2.0.0"). */
    version: z.string().max(200).optional(),
  }),
  z.strictObject({
    type: z.literal('docker'),
    image: z.string().min(1).max(500),
    env: z.record(z.string(), z.string().max(10_000)).default({}),
    version: z.string().max(200).optional(),
  }),
]);
export type Artifact = z.infer<typeof artifactSpec>;

/** Where a server group lives and what it is called (`app-stack-detail-v003`). */
export const serverGroupRef = z.strictObject({
  account: z.string().min(1).max(64),
  location: z.string().min(1).max(64),
  serverGroupName: z.string().min(1).max(200),
});
export type ServerGroupRef = z.infer<typeof serverGroupRef>;

export const moniker = z.strictObject({
  app: z.string(),
  stack: z.string().default(''),
  detail: z.string().default(''),
  cluster: z.string(),
  sequence: z.number().int().min(0).max(999).nullable(),
});
export type Moniker = z.infer<typeof moniker>;

/** Task payloads, one per operation. The operation name is the task's `operation` column. */
export const operations = {
  createServerGroup: serverGroupRef.extend({
    moniker,
    capacity: capacitySpec,
    artifact: artifactSpec,
    loadBalancers: z.array(z.string().min(1).max(200)).max(20).default([]),
    /** Put the new group's instances into the load balancers once healthy. */
    enabled: z.boolean().default(true),
    healthCheck: z.strictObject({ path: z.string().max(500).default('/health'), timeoutSec: z.number().int().min(1).max(3600).default(120) }).default({ path: '/health', timeoutSec: 120 }),
    /**
     * Scrape each instance's Prometheus endpoint every `stepSec` while the group lives, for canary
     * metrics of the `builtin` source (the agent keeps the samples in memory).
     */
    metrics: z.strictObject({ path: z.string().max(500).default('/metrics'), stepSec: z.number().int().min(1).max(3600) }).optional(),
  }),
  enableServerGroup: serverGroupRef,
  disableServerGroup: serverGroupRef.extend({
    drainTimeoutSec: z.number().int().min(0).max(3600).default(30),
    /**
     * Rolling red/black (Orca's `desiredPercentage`): take only this share of the group's instances
     * out of its load balancers, rounded up; the group stays enabled until 100.
     */
    desiredPercentage: z.number().int().min(0).max(100).optional(),
  }),
  resizeServerGroup: serverGroupRef.extend({ capacity: capacitySpec, waitForHealthy: z.boolean().default(true) }),
  destroyServerGroup: serverGroupRef,
  /**
   * Reads canary metrics for a control and an experiment scope (server groups) over their windows,
   * from a Prometheus the agent can reach or from the agent's own scrapes (`builtin`). The result's
   * `details.metrics` is `collectedMetrics` (contract/canary.ts).
   */
  collectMetrics: z.strictObject({
    account: z.string().min(1).max(64),
    location: z.string().min(1).max(64),
    source: z.discriminatedUnion('type', [
      /** `url` defaults to the agent's `--prometheus-url`. */
      z.strictObject({ type: z.literal('prometheus'), url: z.url().max(2000).optional() }),
      z.strictObject({ type: z.literal('builtin') }),
    ]),
    stepSec: z.number().int().min(1).max(3600),
    metrics: z.array(z.strictObject({ name: z.string().min(1).max(200), query: metricQuery })).min(1).max(500),
    control: z.strictObject({ scope: z.string().min(1).max(200), location: z.string().min(1).max(64), startMs: z.number().int(), endMs: z.number().int() }),
    experiment: z.strictObject({ scope: z.string().min(1).max(200), location: z.string().min(1).max(64), startMs: z.number().int(), endMs: z.number().int() }),
  }),
} as const;
export type OperationName = keyof typeof operations;
export const operationNames = Object.keys(operations) as OperationName[];
export type OperationPayload<O extends OperationName> = z.infer<(typeof operations)[O]>;

export const instanceSnapshot = z.strictObject({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  health: z.enum(instanceHealths),
  address: z.string().max(500).nullable().default(null),
  launchedAt: z.number().int().nullable().default(null),
});
export type InstanceSnapshot = z.infer<typeof instanceSnapshot>;

/** A server group as an agent sees it. */
export const serverGroupSnapshot = z.strictObject({
  name: z.string().min(1).max(200),
  location: z.string().min(1).max(64),
  moniker,
  disabled: z.boolean(),
  capacity: capacitySpec,
  artifact: z.record(z.string(), z.unknown()).nullable().default(null),
  loadBalancers: z.array(z.string().max(200)).max(20).default([]),
  createdAt: z.number().int(),
  instances: z.array(instanceSnapshot).max(1000),
});
export type ServerGroupSnapshot = z.infer<typeof serverGroupSnapshot>;

export const loadBalancerSnapshot = z.strictObject({
  name: z.string().min(1).max(200),
  location: z.string().min(1).max(64),
  /** Where clients reach it (e.g. http://127.0.0.1:9100). */
  address: z.string().max(500).nullable().default(null),
  serverGroups: z.array(z.string().max(200)).max(100).default([]),
});

/** The full picture of one account, sent on change and at least every 30 s. */
export const inventoryReport = z.strictObject({
  account: z.string().min(1).max(64),
  serverGroups: z.array(serverGroupSnapshot).max(2000),
  loadBalancers: z.array(loadBalancerSnapshot).max(200).default([]),
});
export type InventoryReport = z.infer<typeof inventoryReport>;

/** The result an agent reports for a task. */
export const taskResult = z.strictObject({
  serverGroup: serverGroupSnapshot.nullable().default(null),
  /** Free-form details for the execution page (e.g. "drained 3 in-flight requests"). */
  details: z.record(z.string(), z.unknown()).default({}),
});
export type TaskResult = z.infer<typeof taskResult>;

/** A task as handed to an agent by a poll. */
export const leasedTask = z.object({
  id: z.string(),
  operation: z.enum(operationNames as [OperationName, ...OperationName[]]),
  account: z.string(),
  payload: z.record(z.string(), z.unknown()),
  attempt: z.number().int(),
  leaseExpiresAt: z.number().int(),
  idempotencyKey: z.string(),
});
export type LeasedTask = z.infer<typeof leasedTask>;

export const pollRequest = z.strictObject({ waitMs: z.number().int().min(0).max(30_000).default(25_000) });
export const pollResponse = z.object({ tasks: z.array(leasedTask) });
export const taskHeartbeat = z.strictObject({ logs: z.array(z.string().max(4000)).max(200).default([]) });
export const taskCompletion = z.strictObject({
  /** The task's idempotency key: a completion for another key (or a second one) is ignored. */
  idempotencyKey: z.string().min(1).max(200),
  ok: z.boolean(),
  result: taskResult.default({ serverGroup: null, details: {} }),
  error: z.string().max(4000).optional(),
  logs: z.array(z.string().max(4000)).max(200).default([]),
});

export const TASK_LEASE_MS = 30_000;
export const INVENTORY_INTERVAL_SEC = 30;
