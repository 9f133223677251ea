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
import { agentPort, inventoryPort } from './agent-ports-d1.ts';
import { canaryPort } from './stages/canary/report-store.ts';
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

/** Messages whose handlers make other objects read this execution from D1. */
const readsCommittedState = new Set<Message['type']>(['notifyAdmission', 'notifyParent']);

const defaultLog = (event: string, fields: Record<string, unknown>) => console.log(JSON.stringify({ event, ...fields }));

/** Handles one message and commits its changes; returns what it sent. */
export async function processMessage(deps: EngineDeps, message: Message, now: number): Promise<Emitted[]> {
  const result = await processBatch(deps, [message], now, 1);
  return [...result.due.map((m) => ({ message: m, atMs: now })), ...result.timed];
}

export interface BatchResult {
  /** How many of the given messages were handled (a prefix of them). */
  handled: number;
  /** Messages due now that the batch did not get to, in order. */
  due: Message[];
  /** Messages due later. */
  timed: Emitted[];
}

/**
 * Handles messages of one execution in order, following the ones they send that are due now,
 * up to `limit`, and commits all their changes in one D1 batch. Each handler sees the state the
 * previous ones left, exactly as if each had committed; the saving is D1 round trips. If the
 * commit fails, nothing of the batch is written and every message is still to be handled.
 */
export async function processBatch(deps: EngineDeps, messages: readonly Message[], now: number, limit: number): Promise<BatchResult> {
  const first = messages[0];
  if (!first) return { handled: 0, due: [], timed: [] };
  const log = deps.log ?? defaultLog;
  const loaded = await loadExecution(deps.env.DB, first.executionId);
  if (!loaded) {
    log('message.dropped', { type: first.type, executionId: first.executionId, reason: 'no such execution' });
    return { handled: messages.length, due: [], timed: [] };
  }
  const changes = new Changes(deps.env.DB, now);
  const queue = [...messages];
  const timed: Emitted[] = [];
  let handled = 0;
  let steps = 0;
  while (queue.length && steps < limit) {
    // Telling other objects (admission, a parent) must wait until this batch's state is in D1,
    // since they read it from there.
    if (steps > 0 && readsCommittedState.has(queue[0]!.type) && !changes.empty) break;
    const message = queue.shift()!;
    steps++;
    if (handled < messages.length) handled++;
    // Each handler sees the stages and execution as the batch has changed them so far.
    const view = { execution: changes.pendingExecution() ?? loaded.execution, stages: loaded.stages.map((st) => changes.pending(st.id) ?? st) };
    const hx: HandlerContext = {
      env: deps.env,
      now,
      loaded: view,
      changes,
      ports: deps.ports,
      emit: (m, atMs) => {
        if (atMs === undefined || atMs <= now) queue.push(m);
        else timed.push({ message: m, atMs });
      },
      behaviour: behaviourOf,
      runtime: (stage) => runtime(hx, deps, stage),
      log: (event, fields) => log(event, { type: message.type, executionId: message.executionId, ...fields }),
    };
    await (handlers[message.type] as (m: Message, h: HandlerContext) => Promise<void>)(message, hx);
  }
  await changes.commit();
  return { handled, due: queue.slice(messages.length - handled), timed };
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
    agent: agentPort(deps.env, execution.id, stage.id, hx.now),
    inventory: inventoryPort(deps.env),
    canary: canaryPort(deps.env.DB),
  };
}
