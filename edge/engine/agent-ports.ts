/**
 * What agent-run stages use at the edge: queueing operations for an account's agent, reading a
 * task's outcome, and the cluster as agents last reported it.
 */
import type { TrafficGuard } from '../../contract/applications.ts';
import type { OperationName, ServerGroupSnapshot } from '../../contract/operations.ts';
import type { ServerGroupState } from '../clusters/types.ts';

export interface TaskOutcome {
  status: 'QUEUED' | 'LEASED' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
  serverGroup: ServerGroupSnapshot | null;
  error: string | null;
  /** The result's free-form details (a `collectMetrics` task's `metrics`); empty until it ends. */
  details: Record<string, unknown>;
  logs: string[];
}

export interface AgentPort {
  /** Queues an operation once per key; returns the task and the payload it holds (the first one queued). */
  enqueue(operation: OperationName, payload: Record<string, unknown>, idempotencyKey: string): Promise<{ taskId: string; payload: Record<string, unknown> }>;
  outcome(taskId: string): Promise<TaskOutcome | null>;
  /** Cancels the stage's tasks no agent has taken yet. */
  cancelQueued(): Promise<void>;
}

export interface InventoryPort {
  /** The cluster's server groups in one account and location, newest first. */
  cluster(account: string, location: string, cluster: string): Promise<ServerGroupState[]>;
  trafficGuards(): Promise<TrafficGuard[]>;
}
