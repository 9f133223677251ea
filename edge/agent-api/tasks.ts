/**
 * The task calls of the agent protocol: poll for work, heartbeat while running it, complete it.
 * The edge never calls an agent; an agent's long poll is how work reaches it within milliseconds.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { taskCompletionAccepted, taskLeaseExtended, taskPoll } from '../../contract/agent-protocol.ts';
import { pollResponse, taskCompletion, taskHeartbeat } from '../../contract/operations.ts';
import { runnerOf } from '../engine/do-ports.ts';
import type { Message } from '../engine/messages.ts';
import type { Env } from '../env.ts';
import { ApiError } from '../errors.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { completeTask, extendLease, type Abandoned, type Completed } from '../tasks/lease.ts';
import { taskOutcomeStatements } from './inventory.ts';
import { pollTasks } from '../tasks/poll.ts';
import { agentAuth, type AgentEnv } from './auth.ts';

const taskId = z.object({ id: z.string().min(1).max(100) });

const poll = createRoute({
  method: 'post', path: '/tasks/poll', tags: ['agent protocol'], middleware: [agentAuth],
  request: { body: jsonBody(taskPoll) },
  responses: { 200: jsonResponse(pollResponse, 'Tasks now leased to this agent; empty when none came within waitMs') },
});
const heartbeat = createRoute({
  method: 'post', path: '/tasks/{id}/heartbeat', tags: ['agent protocol'], middleware: [agentAuth],
  request: { params: taskId, body: jsonBody(taskHeartbeat) },
  responses: { 200: jsonResponse(taskLeaseExtended, 'Lease extended; log lines kept') },
});
const complete = createRoute({
  method: 'post', path: '/tasks/{id}/complete', tags: ['agent protocol'], middleware: [agentAuth],
  request: { params: taskId, body: jsonBody(taskCompletion) },
  responses: { 200: jsonResponse(taskCompletionAccepted, 'Outcome recorded and passed to the execution') },
});

export const taskApi = router<AgentEnv>()
  .openapi(poll, async (c) => {
    const { waitMs, maxTasks } = c.req.valid('json');
    const agentId = c.get('agentId');
    await c.env.DB.prepare('UPDATE agents SET last_seen_at = ? WHERE id = ?').bind(Date.now(), agentId).run();
    const onAbandoned = async (abandoned: Abandoned[]) => {
      for (const t of abandoned) {
        console.log(JSON.stringify({ event: 'task.abandoned', taskId: t.taskId, agentId, reason: t.result.details.error, requestId: c.get('requestId') }));
        await tellRunner(c.env, t.taskId, false, t);
      }
    };
    const tasks = await pollTasks(c.env, agentId, { waitMs, maxTasks, signal: c.req.raw.signal, onAbandoned });
    return c.json({ tasks }, 200);
  })
  .openapi(heartbeat, async (c) => {
    const { id } = c.req.valid('param');
    const { logs } = c.req.valid('json');
    const leaseExpiresAt = await extendLease(c.env.DB, id, c.get('agentId'), logs, Date.now());
    return c.json({ leaseExpiresAt }, 200);
  })
  .openapi(complete, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const agentId = c.get('agentId');
    let done: Completed;
    try {
      done = await completeTask(c.env.DB, id, agentId, body, Date.now());
    } catch (err) {
      if (err instanceof ApiError) {
        console.log(JSON.stringify({ event: 'task.completion.ignored', taskId: id, agentId, ok: body.ok, code: err.code, reason: err.message, requestId: c.get('requestId') }));
      }
      throw err;
    }
    if (body.ok) await recordOutcome(c.env.DB, id, agentId, done);
    await tellRunner(c.env, id, body.ok, done);
    return c.json({ status: done.status }, 200);
  });

/**
 * Writes what the task did to its server group into the inventory at once (the group as the
 * result reports it, or its removal after a destroy). Best effort: the agent's next inventory
 * report writes the same, so a failure here is logged, not answered.
 */
async function recordOutcome(d1: D1Database, taskId: string, agentId: string, done: Completed): Promise<void> {
  try {
    const task = await d1.prepare('SELECT account, operation, payload FROM tasks WHERE id = ?').bind(taskId).first<{ account: string; operation: string; payload: string }>();
    if (!task) return;
    const payload = JSON.parse(task.payload) as { location?: string; serverGroupName?: string };
    const destroyed = task.operation === 'destroyServerGroup' && payload.location && payload.serverGroupName ? { location: payload.location, name: payload.serverGroupName } : undefined;
    const statements = taskOutcomeStatements(d1, agentId, task.account, { serverGroup: done.result.serverGroup ?? null, ...(destroyed ? { destroyed } : {}) }, Date.now());
    if (statements.length) await d1.batch(statements);
  } catch (err) {
    console.error(JSON.stringify({ event: 'task.outcome.unrecorded', taskId, message: (err as Error).message }));
  }
}

/**
 * Passes the outcome to the execution's runner. The outcome is already in D1, so a runner that
 * cannot be reached is logged, not refused: the engine's poll fallback (`taskStatus`) finds it,
 * and refusing would make the agent retry into a 409.
 */
async function tellRunner(env: Env, taskId: string, ok: boolean, done: Completed): Promise<void> {
  if (!done.executionId || !done.stageId) return;
  const message: Message = {
    type: 'stageInput',
    executionId: done.executionId,
    stageId: done.stageId,
    input: { kind: 'taskCompleted', taskId, ok, result: done.result },
  };
  try {
    await runnerOf(env, done.executionId).enqueue([message]);
  } catch (err) {
    console.error(JSON.stringify({ event: 'task.notify.failed', taskId, executionId: done.executionId, message: (err as Error).message }));
  }
}
