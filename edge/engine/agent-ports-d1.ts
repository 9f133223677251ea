/** The agent and inventory ports over D1 (tasks, server groups) and the agents' doorbells. */
import { eq } from 'drizzle-orm';
import type { TrafficGuard } from '../../contract/applications.ts';
import type { ServerGroupSnapshot } from '../../contract/operations.ts';
import { applications } from '../../db/schema.ts';
import { loadCluster } from '../clusters/inventory.ts';
import { parseServerGroupName } from '../clusters/naming.ts';
import type { Env } from '../env.ts';
import { database } from '../lib/db.ts';
import { cancelTasksOf, enqueueTaskAndWake, taskStatus } from '../tasks/queue.ts';
import type { AgentPort, InventoryPort } from './agent-ports.ts';

export function agentPort(env: Env, executionId: string, stageId: string, now: number): AgentPort {
  return {
    async enqueue(operation, payload, idempotencyKey) {
      const queued = await enqueueTaskAndWake(env, { executionId, stageId, account: String(payload.account), operation, payload, idempotencyKey, now });
      return { taskId: queued.taskId, payload: queued.payload };
    },
    async outcome(taskId) {
      const t = await taskStatus(env.DB, taskId);
      if (!t) return null;
      const result = t.result as { serverGroup?: ServerGroupSnapshot | null; details?: { error?: string } & Record<string, unknown> } | null;
      return { status: t.status, serverGroup: result?.serverGroup ?? null, error: t.error ?? result?.details?.error ?? null, details: result?.details ?? {}, logs: t.logs };
    },
    async cancelQueued() {
      await cancelTasksOf(env.DB, stageId, now);
    },
  };
}

export function inventoryPort(env: Env): InventoryPort {
  let guardsOf: string | null = null;
  return {
    async cluster(account, location, cluster) {
      // A cluster name starts with its application (`app-stack-detail`).
      const application = parseServerGroupName(`${cluster}-v000`)?.app ?? cluster.split('-')[0]!;
      guardsOf = application;
      return loadCluster(env.DB, { application, account, location, cluster });
    },
    async trafficGuards() {
      if (!guardsOf) return [];
      const row = await database(env.DB).select({ g: applications.trafficGuards }).from(applications).where(eq(applications.name, guardsOf)).get();
      return (row?.g ?? []) as TrafficGuard[];
    },
  };
}
