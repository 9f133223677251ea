/** Ports backed by the Durable Objects and D1: what the engine uses in production. */
import { and, eq } from 'drizzle-orm';
import { executions, pipelines } from '../../db/schema.ts';
import type { Env } from '../env.ts';
import { database } from '../lib/db.ts';
import { createExecutionStatements } from './create-execution.ts';
import { resolveParameters, type ParameterConfig } from './parameters.ts';
import type { Ports } from './ports.ts';
import { UserError } from './types.ts';

export const runnerOf = (env: Env, executionId: string) => env.EXECUTIONS.get(env.EXECUTIONS.idFromName(executionId));
export const admissionOf = (env: Env, pipelineId: string) => env.PIPELINES.get(env.PIPELINES.idFromName(pipelineId));

/** A stable execution id for a child, so starting it twice (after a crash) creates it once. */
async function childExecutionId(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  const hex = [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function doPorts(env: Env): Ports {
  const ports: Ports = {
    send: (executionId, messages) => runnerOf(env, executionId).enqueue(messages),
    release: (pipelineId) => admissionOf(env, pipelineId).release(pipelineId),
    async startChild(req) {
      const db = database(env.DB);
      const p = await db
        .select()
        .from(pipelines)
        .where(and(eq(pipelines.application, req.application), eq(pipelines.name, req.pipeline)))
        .get() ?? (await db.select().from(pipelines).where(eq(pipelines.id, req.pipeline)).get());
      if (!p) throw new UserError(`no pipeline "${req.pipeline}" in application "${req.application}"`, 'pipeline');
      const resolved = resolveParameters((p.config.parameterConfig ?? []) as ParameterConfig[], req.parameters);
      if (!resolved.ok) throw new UserError(`child pipeline ${resolved.message}`, `pipelineParameters`);
      const id = await childExecutionId(req.childId);
      const now = Date.now();
      await db.batch(
        createExecutionStatements(env.DB, p, {
          id,
          now,
          parameters: resolved.parameters,
          trigger: { type: 'pipeline', user: req.user, parameters: resolved.parameters, parentExecutionId: req.parentExecutionId, parentStageId: req.parentStageId },
        }) as never,
      );
      await admissionOf(env, p.id).admit(p.id, id);
      return { executionId: id };
    },
    async cancel(executionId, user, reason) {
      const row = await database(env.DB).select({ status: executions.status, pipelineId: executions.pipelineId }).from(executions).where(eq(executions.id, executionId)).get();
      if (!row) return;
      if (row.status === 'NOT_STARTED' && row.pipelineId) {
        const canceled = await admissionOf(env, row.pipelineId).cancelWaiting(row.pipelineId, executionId, user, reason);
        if (canceled) return;
      }
      await runnerOf(env, executionId).enqueue([{ type: 'cancelExecution', executionId, user, reason }]);
    },
    async childStatus(executionId) {
      const row = await database(env.DB).select({ status: executions.status }).from(executions).where(eq(executions.id, executionId)).get();
      return row?.status ?? null;
    },
  };
  return ports;
}
