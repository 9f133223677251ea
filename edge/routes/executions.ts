import { createRoute, z } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { applicationName } from '../../contract/names.ts';
import { cancelRequest, evaluateRequest, executionDetail, executionList, executionListQuery, executionStart, executionSummary, judgmentRequest } from '../../contract/executions.ts';
import { executions, pipelines, stages, tasks } from '../../db/schema.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertApplication, assertScope, type Principal } from '../auth/principal.ts';
import { createExecutionStatements } from '../engine/create-execution.ts';
import { admissionOf, doPorts, runnerOf } from '../engine/do-ports.ts';
import { evaluateExpression } from '../engine/expressions.ts';
import type { Message } from '../engine/messages.ts';
import { resolveParameters, type ParameterConfig } from '../engine/parameters.ts';
import { isComplete, type TriggerInfo } from '../engine/types.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { AppEnv } from '../env.ts';
import { auditInsert } from '../lib/audit.ts';
import { database, type Database } from '../lib/db.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { loadApplication } from './applications.ts';
import { executionDetailOf, listExecutions } from './execution-views.ts';

const mw = [authenticate];
const idParam = z.object({ id: z.string().min(1).max(64) });
const stageParam = z.object({ id: z.string().min(1).max(64), stageId: z.string().min(1).max(200) });
const accepted = jsonResponse(z.object({ accepted: z.literal(true), executionId: z.string() }), 'Accepted; the engine applies it in order');

async function loadExecutionRow(db: Database, p: Principal, id: string) {
  const row = await db.select().from(executions).where(eq(executions.id, id)).get();
  if (!row) throw notFound(`execution "${id}"`);
  assertApplication(p, row.application);
  return row;
}

async function loadStageRow(db: Database, executionId: string, stageId: string) {
  const row = await db.select().from(stages).where(eq(stages.id, stageId)).get();
  if (!row || row.executionId !== executionId) throw notFound(`stage "${stageId}" of execution "${executionId}"`);
  return row;
}

const start = createRoute({
  method: 'post', path: '/pipelines/{id}/executions', tags: ['executions'], middleware: mw,
  summary: 'Starts the pipeline (API trigger); waits as NOT_STARTED when its concurrency rules say so',
  request: { params: idParam, body: jsonBody(executionStart) },
  responses: { 201: jsonResponse(executionSummary, 'Created; RUNNING, or NOT_STARTED with its queue position') },
});
const listByApp = createRoute({
  method: 'get', path: '/applications/{app}/executions', tags: ['executions'], middleware: mw,
  request: { params: z.object({ app: applicationName }), query: executionListQuery },
  responses: { 200: jsonResponse(executionList, 'Newest first') },
});
const listByPipeline = createRoute({
  method: 'get', path: '/pipelines/{id}/executions', tags: ['executions'], middleware: mw,
  request: { params: idParam, query: executionListQuery },
  responses: { 200: jsonResponse(executionList, 'Newest first') },
});
const get = createRoute({
  method: 'get', path: '/executions/{id}', tags: ['executions'], middleware: mw,
  request: { params: idParam },
  responses: { 200: jsonResponse(executionDetail, 'The execution with its stages, outputs, errors and timings') },
});
/** A control route; generic so the typed client keeps each path, its params and its body. */
function control<P extends string, B extends z.ZodType | undefined = undefined>(path: P, summary: string, body?: B) {
  type Body = B extends z.ZodType ? { body: ReturnType<typeof jsonBody<B>> } : object;
  type Params = P extends `${string}{stageId}${string}` ? typeof stageParam : typeof idParam;
  return createRoute({
    method: 'post', path, tags: ['executions'], middleware: mw, summary,
    request: { params: (path.includes('{stageId}') ? stageParam : idParam) as Params, ...((body ? { body: jsonBody(body) } : {}) as Body) },
    responses: { 202: accepted },
  });
}
const stageTasks = createRoute({
  method: 'get', path: '/executions/{id}/stages/{stageId}/tasks', tags: ['executions'], middleware: mw,
  summary: "The agent tasks a stage queued, with their status, result and the agent's log lines",
  request: { params: stageParam },
  responses: {
    200: jsonResponse(z.object({ items: z.array(z.object({
      id: z.string(), operation: z.string(), account: z.string(), status: z.string(), attempt: z.number(),
      payload: z.record(z.string(), z.unknown()), result: z.record(z.string(), z.unknown()).nullable(), logs: z.array(z.string()),
      createdAt: z.string(), updatedAt: z.string(),
    })) }), 'Oldest first'),
  },
});
const evaluate = createRoute({
  method: 'post', path: '/executions/{id}/evaluate', tags: ['executions'], middleware: mw,
  summary: 'Evaluates an expression against the execution as it is now',
  request: { params: idParam, body: jsonBody(evaluateRequest) },
  responses: { 200: jsonResponse(z.object({ value: z.unknown() }), 'The value') },
});
const events = createRoute({
  method: 'get', path: '/executions/{id}/events', tags: ['executions'], middleware: mw,
  summary: 'Server-sent events: the execution detail each time it changes',
  request: { params: idParam },
  responses: { 200: { description: 'text/event-stream of `execution` events' } },
});

/** The caller, execution and stage a stage control acts on; needs `execute`. */
async function stageControlTarget(c: Context<AppEnv>, params: { id: string; stageId: string }) {
  const p = c.get('principal');
  assertScope(p, 'execute');
  const db = database(c.env.DB);
  const row = await loadExecutionRow(db, p, params.id);
  const stage = await loadStageRow(db, params.id, params.stageId);
  return { p, row, stage, ...params };
}

/** Sends messages to an execution's runner and records the control in the audit log. */
async function sendControl(c: Parameters<typeof auditInsert>[1], row: typeof executions.$inferSelect, messages: Message[], action: string, details: Record<string, unknown> = {}) {
  const db = database(c.env.DB);
  await db.batch([auditInsert(db, c, { action, resourceType: 'execution', resourceId: row.id, application: row.application, details })]);
  await runnerOf(c.env, row.id).enqueue(messages);
  return c.json({ accepted: true as const, executionId: row.id }, 202);
}

export const executionRoutes = router()
  .openapi(start, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'execute');
    const db = database(c.env.DB);
    const pipeline = await db.select().from(pipelines).where(eq(pipelines.id, c.req.valid('param').id)).get();
    if (!pipeline) throw notFound(`pipeline "${c.req.valid('param').id}"`);
    assertApplication(p, pipeline.application);
    if (pipeline.config.disabled === true) throw conflict(`pipeline "${pipeline.name}" is disabled`);
    const body = c.req.valid('json');
    const resolved = resolveParameters((pipeline.config.parameterConfig ?? []) as ParameterConfig[], body.parameters);
    if (!resolved.ok) throw badRequest(resolved.field, resolved.message);
    const now = Date.now();
    const id = crypto.randomUUID();
    const trigger: TriggerInfo = { type: p.type === 'token' ? 'api' : 'manual', user: p.name, parameters: resolved.parameters, ...(body.description ? { description: body.description } : {}) };
    const expiry = body.startTimeExpiry ? Date.parse(body.startTimeExpiry) : null;
    await db.batch([
      ...createExecutionStatements(c.env.DB, pipeline, { id, trigger, parameters: resolved.parameters, now, startTimeExpiry: expiry }),
      auditInsert(db, c, { action: 'execution.start', resourceType: 'execution', resourceId: id, application: pipeline.application, details: { pipeline: pipeline.name, trigger: trigger.type } }, now),
    ] as never);
    await admissionOf(c.env, pipeline.id).admit(pipeline.id, id);
    const { items } = await listExecutions(db, eq(executions.id, id), { limit: 1 });
    return c.json(items[0]!, 201);
  })
  .openapi(listByApp, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const { app } = c.req.valid('param');
    assertApplication(p, app);
    const db = database(c.env.DB);
    await loadApplication(db, app);
    return c.json(await listExecutions(db, eq(executions.application, app), c.req.valid('query')), 200);
  })
  .openapi(listByPipeline, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const db = database(c.env.DB);
    const pipeline = await db.select({ id: pipelines.id, application: pipelines.application }).from(pipelines).where(eq(pipelines.id, c.req.valid('param').id)).get();
    if (!pipeline) throw notFound(`pipeline "${c.req.valid('param').id}"`);
    assertApplication(p, pipeline.application);
    return c.json(await listExecutions(db, eq(executions.pipelineId, pipeline.id), c.req.valid('query')), 200);
  })
  .openapi(get, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const db = database(c.env.DB);
    return c.json(await executionDetailOf(db, await loadExecutionRow(db, p, c.req.valid('param').id)), 200);
  })
  .openapi(control('/executions/{id}/cancel', 'Cancels the execution (a waiting one never starts)', cancelRequest), async (c) => {
    const p = c.get('principal');
    assertScope(p, 'execute');
    const db = database(c.env.DB);
    const row = await loadExecutionRow(db, p, c.req.valid('param').id);
    if (isComplete(row.status)) throw conflict(`execution is already ${row.status}`);
    const { reason } = c.req.valid('json' as never) as { reason: string };
    await db.batch([auditInsert(db, c, { action: 'execution.cancel', resourceType: 'execution', resourceId: row.id, application: row.application, details: { reason } })]);
    await doPorts(c.env).cancel(row.id, p.name, reason);
    return c.json({ accepted: true as const, executionId: row.id }, 202);
  })
  .openapi(control('/executions/{id}/pause', 'Pauses a running execution'), async (c) => {
    const p = c.get('principal');
    assertScope(p, 'execute');
    const row = await loadExecutionRow(database(c.env.DB), p, c.req.valid('param').id);
    if (row.status !== 'RUNNING') throw conflict(`only a RUNNING execution can be paused; this one is ${row.status}`);
    return sendControl(c, row, [{ type: 'pauseExecution', executionId: row.id, user: p.name }], 'execution.pause');
  })
  .openapi(control('/executions/{id}/resume', 'Resumes a paused execution'), async (c) => {
    const p = c.get('principal');
    assertScope(p, 'execute');
    const row = await loadExecutionRow(database(c.env.DB), p, c.req.valid('param').id);
    if (row.status !== 'PAUSED') throw conflict(`only a PAUSED execution can be resumed; this one is ${row.status}`);
    return sendControl(c, row, [{ type: 'resumeExecution', executionId: row.id, user: p.name }], 'execution.resume');
  })
  .openapi(control('/executions/{id}/stages/{stageId}/restart', 'Restarts a finished stage and everything downstream'), async (c) => {
    const { p, row, stage, id, stageId } = await stageControlTarget(c, c.req.valid('param') as { id: string; stageId: string });
    if (!isComplete(stage.status)) throw conflict(`only a finished stage can be restarted; "${stage.name}" is ${stage.status}`);
    if (row.status === 'NOT_STARTED' || row.status === 'PAUSED') throw conflict(`execution is ${row.status}; resume or start it first`);
    return sendControl(c, row, [{ type: 'restartStage', executionId: id, stageId, user: p.name }], 'stage.restart', { stage: stage.name });
  })
  .openapi(control('/executions/{id}/stages/{stageId}/judgment', 'Continues or stops a manual judgment', judgmentRequest), async (c) => {
    const { p, row, stage, id, stageId } = await stageControlTarget(c, c.req.valid('param') as { id: string; stageId: string });
    if (stage.type !== 'manualJudgment') throw conflict(`stage "${stage.name}" is a ${stage.type} stage, not a manual judgment`);
    if (stage.status !== 'RUNNING' || row.status !== 'RUNNING') throw conflict(`stage "${stage.name}" is ${stage.status === 'RUNNING' ? `in a ${row.status} execution` : stage.status}; it is not awaiting judgment`);
    const body = c.req.valid('json' as never) as { judgmentStatus: 'continue' | 'stop'; input?: string };
    const options = ((stage.context.judgmentInputs ?? []) as { value: string }[]).map((o) => o.value);
    if (body.input !== undefined && options.length > 0 && !options.includes(body.input)) {
      throw badRequest('input', `input: "${body.input}" is not one of ${options.map((o) => `"${o}"`).join(', ')}`);
    }
    return sendControl(c, row, [{ type: 'stageInput', executionId: id, stageId, input: { kind: 'judgment', judgmentStatus: body.judgmentStatus, ...(body.input !== undefined ? { input: body.input } : {}), user: p.name } }], 'stage.judgment', { stage: stage.name, ...body });
  })
  .openapi(control('/executions/{id}/stages/{stageId}/skip-wait', 'Ends a wait stage now'), async (c) => {
    const { p, row, stage, id, stageId } = await stageControlTarget(c, c.req.valid('param') as { id: string; stageId: string });
    if (stage.type !== 'wait' || stage.status !== 'RUNNING') throw conflict(`stage "${stage.name}" is not a running wait stage (${stage.type}, ${stage.status})`);
    return sendControl(c, row, [{ type: 'stageInput', executionId: id, stageId, input: { kind: 'skipWait', user: p.name } }], 'stage.skip-wait', { stage: stage.name });
  })
  .openapi(control('/executions/{id}/stages/{stageId}/skip-window', 'Starts a stage now instead of waiting for its execution window'), async (c) => {
    const { p, row, stage, id, stageId } = await stageControlTarget(c, c.req.valid('param') as { id: string; stageId: string });
    if (stage.status !== 'SUSPENDED') throw conflict(`stage "${stage.name}" is ${stage.status}, not waiting for its execution window`);
    return sendControl(c, row, [{ type: 'windowOpen', executionId: id, stageId, skippedBy: p.name }], 'stage.skip-window', { stage: stage.name });
  })
  .openapi(stageTasks, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const db = database(c.env.DB);
    const { id, stageId } = c.req.valid('param');
    await loadExecutionRow(db, p, id);
    await loadStageRow(db, id, stageId);
    const rows = await db.select().from(tasks).where(eq(tasks.stageId, stageId)).orderBy(asc(tasks.createdAt)).all();
    return c.json({
      items: rows.map((t) => ({
        id: t.id, operation: t.operation, account: t.account, status: t.status, attempt: t.attempt, payload: t.payload,
        result: t.result, logs: t.logs, createdAt: new Date(t.createdAt).toISOString(), updatedAt: new Date(t.updatedAt).toISOString(),
      })),
    }, 200);
  })
  .openapi(evaluate, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const db = database(c.env.DB);
    const row = await loadExecutionRow(db, p, c.req.valid('param').id);
    const detail = await executionDetailOf(db, row);
    const raw = c.req.valid('json').expression.trim();
    const expression = raw.replace(/^\$\{([\s\S]*)\}$/, '$1');
    const result = evaluateExpression(expression, {
      trigger: { ...(row.trigger as Record<string, unknown>), parameters: row.parameters },
      parameters: row.parameters,
      execution: { id: row.id, application: row.application, name: row.name, status: row.status, startedAt: row.startedAt, pipelineId: row.pipelineId },
      stages: detail.stages.map((s) => ({ refId: s.refId, name: s.name, type: s.type, status: s.status, context: s.context, outputs: s.outputs })),
    });
    if (!result.ok) throw badRequest('expression', `expression: ${result.reason}`);
    return c.json({ value: result.value }, 200);
  })
  .openapi(events, async (c) => {
    const p = c.get('principal');
    assertScope(p, 'read');
    const db = database(c.env.DB);
    const first = await loadExecutionRow(db, p, c.req.valid('param').id);
    return streamSSE(c, async (stream) => {
      let seen = -1;
      const deadline = Date.now() + 10 * 60_000;
      // D1 is the source of truth: watch the execution's updatedAt, which every stage change moves.
      while (!stream.aborted && Date.now() < deadline) {
        const row = await db.select().from(executions).where(eq(executions.id, first.id)).get();
        if (!row) break;
        if (row.updatedAt !== seen) {
          seen = row.updatedAt;
          await stream.writeSSE({ event: 'execution', id: String(row.updatedAt), data: JSON.stringify(await executionDetailOf(db, row)) });
        }
        // A finished execution changes only if someone restarts a stage: look less often.
        await stream.sleep(isComplete(row.status) ? 5000 : 1000);
      }
    }) as never;
  });

