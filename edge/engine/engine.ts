/**
 * Runs one message against D1: load the execution, call the message's handler, commit its
 * changes in one batch, and return the messages it sent. Used by the runner Durable Object and
 * by the test harness alike.
 */
import type { Env } from '../env.ts';
import type { HandlerContext } from './context.ts';
import { evaluateExpression } from './expressions.ts';
import { handlers } from './handlers/index.ts';
import type { Message } from './messages.ts';
import type { Ports } from './ports.ts';
import { scopeFor } from './scope.ts';
import { behaviourOf } from './stages/index.ts';
import { Changes, loadExecution } from './store.ts';
import type { StageRuntime, StageState } from './types.ts';

export interface Emitted {
  message: Message;
  atMs: number;
}

export interface EngineDeps {
  env: Env;
  ports: Ports;
  fetch: typeof fetch;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

const defaultLog = (event: string, fields: Record<string, unknown>) => console.log(JSON.stringify({ event, ...fields }));

export async function processMessage(deps: EngineDeps, message: Message, now: number): Promise<Emitted[]> {
  const loaded = await loadExecution(deps.env.DB, message.executionId);
  const log = deps.log ?? defaultLog;
  if (!loaded) {
    log('message.dropped', { type: message.type, executionId: message.executionId, reason: 'no such execution' });
    return [];
  }
  const emitted: Emitted[] = [];
  const changes = new Changes(deps.env.DB, now);
  const hx: HandlerContext = {
    env: deps.env,
    now,
    loaded,
    changes,
    ports: deps.ports,
    emit: (m, atMs) => void emitted.push({ message: m, atMs: atMs ?? now }),
    behaviour: behaviourOf,
    runtime: (stage) => runtime(hx, deps, stage),
    log: (event, fields) => log(event, { type: message.type, executionId: message.executionId, ...fields }),
  };
  await (handlers[message.type] as (m: Message, h: HandlerContext) => Promise<void>)(message, hx);
  await changes.commit();
  return emitted;
}

function runtime(hx: HandlerContext, deps: EngineDeps, stage: StageState): StageRuntime {
  const execution = hx.changes.pendingExecution() ?? hx.loaded.execution;
  return {
    now: hx.now,
    execution,
    stage,
    stages: hx.loaded.stages.map((s) => hx.changes.pending(s.id) ?? s),
    fetch: deps.fetch,
    startChild: (req) =>
      deps.ports.startChild({
        ...req,
        // One child per stage run: a restart of the stage (restartedAt) makes a new one.
        childId: `${execution.id}:${stage.refId}:${stage.meta.restartedAt ?? 0}`,
        parentExecutionId: execution.id,
        parentStageId: stage.id,
        user: `pipeline:${execution.id}`,
      }),
    cancelChild: (id, reason) => deps.ports.cancel(id, `pipeline:${execution.id}`, reason),
    childStatus: (id) => deps.ports.childStatus(id),
    evaluate: (expression) => evaluateExpression(expression, scopeFor(hx, stage)),
  };
}
