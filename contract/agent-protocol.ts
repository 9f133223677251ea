/**
 * The task and inventory calls of the agent protocol, beyond the shapes in `operations.ts`:
 * what the edge answers, and the limits both sides keep.
 */
import { z } from 'zod';
import { pollRequest } from './operations.ts';

/** Most tasks one poll hands out. */
export const MAX_TASKS_PER_POLL = 5;
/** Log lines a task keeps; older lines are dropped as new ones arrive. */
export const MAX_TASK_LOG_LINES = 500;

/** A poll: how long to hold it open, and how many tasks the agent can take now. */
export const taskPoll = pollRequest.extend({
  maxTasks: z.number().int().min(1).max(MAX_TASKS_PER_POLL).default(MAX_TASKS_PER_POLL),
});
export type TaskPoll = z.input<typeof taskPoll>;

/** The answer to a task heartbeat: the lease now runs until then (edge clock, epoch ms). */
export const taskLeaseExtended = z.object({ leaseExpiresAt: z.number().int() });

/** The answer to an accepted completion. */
export const taskCompletionAccepted = z.object({ status: z.enum(['SUCCEEDED', 'FAILED']) });

/** The answer to an accepted inventory report: what the account now holds. */
export const inventoryAccepted = z.object({ account: z.string(), serverGroups: z.number().int(), instances: z.number().int() });
