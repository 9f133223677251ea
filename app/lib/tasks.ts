import type { InferResponseType } from 'hono/client';
import type { api } from './api.ts';
import type { ExecutionStatus } from './executions.ts';

/** An agent task as `GET /executions/{id}/stages/{stageId}/tasks` lists it. */
export type AgentTask = InferResponseType<(typeof api.executions)[':id']['stages'][':stageId']['tasks']['$get'], 200>['items'][number];

export type TaskStatus = 'QUEUED' | 'LEASED' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';

/** Each task status as a badge: the execution status whose colour it borrows, and its label. */
const badges = {
  QUEUED: { status: 'NOT_STARTED', label: 'Queued' },
  LEASED: { status: 'RUNNING', label: 'Running on agent' },
  SUCCEEDED: { status: 'SUCCEEDED', label: 'Succeeded' },
  FAILED: { status: 'TERMINAL', label: 'Failed' },
  CANCELED: { status: 'CANCELED', label: 'Canceled' },
} as const satisfies Record<TaskStatus, { status: ExecutionStatus; label: string }>;

/** How a task's status is shown; an unknown one looks like "not started" under its own name. */
export function taskBadge(status: string): { status: ExecutionStatus; label: string } {
  return Object.hasOwn(badges, status) ? badges[status as TaskStatus] : { status: 'NOT_STARTED', label: status };
}

/** The server group a task works on, from its payload. */
export const taskServerGroup = (t: AgentTask): string | null => (typeof t.payload.serverGroupName === 'string' ? t.payload.serverGroupName : null);

/** The agent's reason for a failed task, when it gave one. */
export function taskError(t: AgentTask): string | null {
  const details = t.result?.details;
  if (details && typeof details === 'object' && typeof (details as { error?: unknown }).error === 'string') return (details as { error: string }).error;
  return typeof t.result?.error === 'string' ? t.result.error : null;
}

/** `deployedServerGroups` from a stage's outputs: the server groups a deploy created. */
export function deployedServerGroups(outputs: Record<string, unknown>): string[] {
  const list = outputs.deployedServerGroups;
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string' && n !== '') : [];
}
