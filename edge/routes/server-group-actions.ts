import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { executionSummary } from '../../contract/executions.ts';
import { serverGroupAction, type ServerGroupAction } from '../../contract/server-group-actions.ts';
import { applications, executions, serverGroups } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertApplication, assertScope } from '../auth/principal.ts';
import { loadCluster } from '../clusters/inventory.ts';
import { rollbackPlan } from '../clusters/selection.ts';
import { checkGuard, type GuardOperation } from '../clusters/traffic-guards.ts';
import { adhocExecutionStatements } from '../engine/create-execution.ts';
import { runnerOf } from '../engine/do-ports.ts';
import type { TriggerInfo } from '../engine/types.ts';
import { ApiError, notFound } from '../errors.ts';
import { auditInsert } from '../lib/audit.ts';
import { database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { listExecutions } from './execution-views.ts';

const route = createRoute({
  method: 'post', path: '/server-groups/{id}/actions', tags: ['clusters'], middleware: [authenticate],
  summary: 'Enables, disables, resizes, destroys or rolls back to a server group, as a recorded execution',
  request: { params: z.object({ id: z.string().min(1).max(100) }), body: jsonBody(serverGroupAction) },
  responses: { 201: jsonResponse(executionSummary, 'The execution carrying out the action') },
});

/** The stage an action runs, aimed at this exact server group. */
function stageFor(action: ServerGroupAction, g: typeof serverGroups.$inferSelect): Record<string, unknown> {
  const where = { account: g.account, location: g.location, cluster: g.cluster };
  switch (action.action) {
    case 'enable':
      return { refId: '1', type: 'enableServerGroup', name: `Enable ${g.name}`, ...where, serverGroupName: g.name };
    case 'disable':
      return { refId: '1', type: 'disableServerGroup', name: `Disable ${g.name}`, ...where, serverGroupName: g.name };
    case 'destroy':
      return { refId: '1', type: 'destroyServerGroup', name: `Destroy ${g.name}`, ...where, serverGroupName: g.name };
    case 'resize':
      return { refId: '1', type: 'resizeServerGroup', name: `Resize ${g.name} to ${action.capacity.desired}`, ...where, serverGroupName: g.name, action: 'scale_exact', capacity: action.capacity };
    case 'rollback':
      return { refId: '1', type: 'rollbackCluster', name: `Roll back ${g.cluster} to ${g.name}`, ...where, restoreServerGroupName: g.name };
    default: {
      const never: never = action;
      throw new Error(`unknown action ${JSON.stringify(never)}`);
    }
  }
}

/** What the action would do to traffic, for the traffic-guard check before anything is queued. */
function guardOperation(action: ServerGroupAction, name: string, current: string | null): GuardOperation | null {
  switch (action.action) {
    case 'disable':
      return { kind: 'disable', serverGroups: [name] };
    case 'destroy':
      return { kind: 'destroy', serverGroups: [name] };
    case 'resize':
      return { kind: 'resize', serverGroup: name, desired: action.capacity.desired };
    case 'rollback':
      return current ? { kind: 'disable', serverGroups: [current] } : null;
    default:
      return null;
  }
}

export const serverGroupActions = router().openapi(route, async (c) => {
  const p = c.get('principal');
  assertScope(p, 'execute');
  const db = database(c.env.DB);
  const g = await db.select().from(serverGroups).where(eq(serverGroups.id, c.req.valid('param').id)).get();
  if (!g) throw notFound(`server group "${c.req.valid('param').id}"`);
  assertApplication(p, g.application);
  const action = c.req.valid('json');

  const cluster = await loadCluster(c.env.DB, { application: g.application, account: g.account, location: g.location, cluster: g.cluster });
  let current: string | null = null;
  if (action.action === 'rollback') {
    const plan = rollbackPlan(cluster, { restoreServerGroupName: g.name });
    if ('error' in plan) throw new ApiError('conflict', plan.error);
    current = plan.current;
  }
  // The same check runs again in the stage just before its task is queued; this one answers now.
  const op = guardOperation(action, g.name, current);
  if (op) {
    const app = await db.select({ trafficGuards: applications.trafficGuards }).from(applications).where(eq(applications.name, g.application)).get();
    const verdict = checkGuard({ guards: (app?.trafficGuards ?? []) as never, cluster, operation: op, target: { account: g.account, location: g.location } });
    if (!verdict.ok) throw new ApiError('conflict', verdict.message);
  }

  const now = Date.now();
  const id = crypto.randomUUID();
  const stage = stageFor(action, g);
  const trigger: TriggerInfo = { type: p.type === 'token' ? 'api' : 'manual', user: p.name, parameters: {}, action: action.action, serverGroup: g.name };
  await db.batch([
    ...adhocExecutionStatements(c.env.DB, { id, application: g.application, name: String(stage.name), stage, trigger, now }),
    auditInsert(db, c, { action: `server-group.${action.action}`, resourceType: 'server-group', resourceId: g.name, application: g.application, details: { account: g.account, location: g.location, executionId: id, ...action } }, now),
  ] as never);
  await runnerOf(c.env, id).enqueue([{ type: 'startExecution', executionId: id }]);
  const { items } = await listExecutions(db, eq(executions.id, id), { limit: 1 });
  return c.json(items[0]!, 201);
});
