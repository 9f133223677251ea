/** Transitions shared by several handlers: applying a stage step, cancelling, (re)starting. */
import { evaluateExpression, evaluateTemplate } from './expressions.ts';
import type { HandlerContext } from './context.ts';
import { failureStatus } from './graph.ts';
import { scopeFor } from './scope.ts';
import { UserError, type StageBehaviour, type StageError, type StageState, type StageStep } from './types.ts';

/** Keys of a stage's config that belong to the engine, not to the stage type's context. */
const engineKeys = new Set(['refId', 'requisiteStageRefIds', 'type', 'name']);

/** The stage's config as written in the execution's pipeline snapshot (expressions unevaluated). */
export function rawContext(hx: HandlerContext, stage: StageState): Record<string, unknown> {
  const stages = (hx.loaded.execution.config.stages ?? []) as Record<string, unknown>[];
  const config = stages.find((s) => s.refId === stage.refId) ?? {};
  return Object.fromEntries(Object.entries(config).filter(([k]) => !engineKeys.has(k)));
}

/** Most JSON one stage may hold in its context and outputs together (D1 rows and live views stay small). */
export const maxStageBytes = 256 * 1024;

/** UTF-8 bytes of the values' JSON, summed. */
export function stageJsonBytes(...values: unknown[]): number {
  const encoder = new TextEncoder();
  return values.reduce<number>((n, v) => n + encoder.encode(JSON.stringify(v) ?? '').length, 0);
}

function tooBig(field: 'context' | 'outputs', bytes: number): StageError {
  const what = field === 'context' ? 'evaluated context' : 'context and outputs';
  return { kind: 'user', field, message: `the stage's ${what} would be ${(bytes / 1024).toFixed(1)} KiB of JSON, over the ${maxStageBytes / 1024} KiB limit per stage` };
}

/** Records a step's result on the stage and sends whatever follows from it. */
export function applyStep(hx: HandlerContext, stage: StageState, step: StageStep): StageState {
  const outputs = step.outputs ? { ...stage.outputs, ...step.outputs } : stage.outputs;
  if (step.outputs) {
    const bytes = stageJsonBytes(stage.context, outputs);
    // The oversized outputs are not stored: the stage keeps what it had and fails, naming the size.
    if (bytes > maxStageBytes) return applyStep(hx, stage, { status: 'FAILED', error: tooBig('outputs', bytes) });
  }
  switch (step.status) {
    case 'RUNNING': {
      const pollAt = hx.now + Math.max(0, step.retryAfterMs);
      const next = hx.changes.stage({ ...stage, status: 'RUNNING', outputs, meta: { ...stage.meta, pollAt, state: step.state ?? stage.meta.state } });
      hx.emit({ type: 'runStage', executionId: stage.executionId, stageId: stage.id }, pollAt);
      return next;
    }
    case 'WAITING': {
      const { pollAt: _dropped, ...meta } = stage.meta;
      return hx.changes.stage({ ...stage, status: 'RUNNING', outputs, meta: { ...meta, state: step.state ?? stage.meta.state } });
    }
    case 'SUCCEEDED':
    case 'SKIPPED':
    case 'CANCELED':
      return finish(hx, { ...stage, outputs }, step.status, null);
    case 'FAILED':
      return finish(hx, { ...stage, outputs }, failureStatus(stage.context), step.error);
    default: {
      const never: never = step;
      throw new Error(`unknown step ${JSON.stringify(never)}`);
    }
  }
}

function finish(hx: HandlerContext, stage: StageState, status: StageState['status'], error: StageError | null): StageState {
  const { pollAt: _dropped, ...meta } = stage.meta;
  const next = hx.changes.stage({ ...stage, status, error, endedAt: hx.now, startedAt: stage.startedAt ?? hx.now, meta });
  hx.emit({ type: 'completeStage', executionId: stage.executionId, stageId: stage.id });
  return next;
}

/** Cancels every running, paused or suspended stage (the execution is ending otherwise than SUCCEEDED). */
export async function cancelRunningStages(hx: HandlerContext): Promise<void> {
  for (const stage of hx.loaded.stages) {
    if (!['RUNNING', 'PAUSED', 'SUSPENDED'].includes(currentOf(hx, stage).status)) continue;
    const current = currentOf(hx, stage);
    try {
      await hx.behaviour(current.type)?.cancel?.(hx.runtime(current));
    } catch (err) {
      hx.log('stage.cancel.failed', { stageId: current.id, message: (err as Error).message });
    }
    const { pollAt: _dropped, ...meta } = current.meta;
    hx.changes.stage({ ...current, status: 'CANCELED', endedAt: hx.now, meta });
  }
}

/** The stage as this handler has changed it so far. */
export function currentOf(hx: HandlerContext, stage: StageState): StageState {
  return hx.changes.pending(stage.id) ?? stage;
}

/** Evaluates `stageEnabled`; false means the stage is SKIPPED. A failing expression fails the stage. */
export function stageEnabled(hx: HandlerContext, stage: StageState): { ok: true; enabled: boolean } | { ok: false; error: StageError } {
  const rule = rawContext(hx, stage).stageEnabled as { expression?: string } | undefined;
  if (!rule?.expression) return { ok: true, enabled: true };
  const expression = rule.expression.trim().replace(/^\$\{([\s\S]*)\}$/, '$1');
  const result = evaluateExpression(expression, scopeFor(hx, stage));
  if (!result.ok) {
    return { ok: false, error: { kind: 'user', message: `stageEnabled: ${result.reason}`, field: 'stageEnabled.expression', expression: rule.expression } };
  }
  return { ok: true, enabled: result.value === true || result.value === 'true' };
}

/** Starts a stage for real: evaluates its context, runs the type's `start`, arms its timeout. */
export async function beginStage(hx: HandlerContext, stage: StageState): Promise<void> {
  const evaluated = evaluateTemplate(rawContext(hx, stage), scopeFor(hx, stage));
  const startedAt = stage.startedAt ?? hx.now;
  if (!evaluated.ok) {
    const error: StageError = { kind: 'user', message: `${evaluated.field}: ${evaluated.reason}`, field: evaluated.field, expression: evaluated.expression };
    applyStep(hx, { ...stage, startedAt, status: 'RUNNING' }, { status: 'FAILED', error });
    return;
  }
  const bytes = stageJsonBytes(evaluated.value, stage.outputs);
  if (bytes > maxStageBytes) {
    // The raw context stays on the stage: the evaluated one is what is too big to store.
    applyStep(hx, { ...stage, startedAt, status: 'RUNNING' }, { status: 'FAILED', error: tooBig('context', bytes) });
    return;
  }
  const running: StageState = hx.changes.stage({ ...stage, context: evaluated.value as Record<string, unknown>, status: 'RUNNING', startedAt });
  const behaviour = hx.behaviour(stage.type);
  if (!behaviour) {
    applyStep(hx, running, {
      status: 'FAILED',
      error: { kind: 'internal', message: `stage type "${stage.type}" has no runner at the edge yet (it needs an agent, which is not built yet)` },
    });
    return;
  }
  const timeoutMs = stageTimeoutMs(running, behaviour);
  if (timeoutMs) hx.emit({ type: 'checkTimeout', executionId: stage.executionId, stageId: stage.id }, startedAt + timeoutMs);
  const step = await safely(hx, running, () => behaviour.start(hx.runtime(running)));
  applyStep(hx, currentOf(hx, running), step);
}

/** The stage's timeout: its own `stageTimeoutMs`, else its type's default (from its context when the type computes one). */
export function stageTimeoutMs(stage: StageState, behaviour: StageBehaviour | undefined): number | undefined {
  return (stage.context.stageTimeoutMs as number | undefined) ?? behaviour?.defaultTimeoutFor?.(stage.context) ?? behaviour?.defaultTimeoutMs;
}

/** Runs a stage-type method, turning a throw into a typed internal failure. */
export async function safely(hx: HandlerContext, stage: StageState, fn: () => Promise<StageStep>): Promise<StageStep> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UserError) return { status: 'FAILED', error: { kind: 'user', message: err.message, ...(err.field ? { field: err.field } : {}) } };
    hx.log('stage.error', { stageId: stage.id, type: stage.type, message: (err as Error).message });
    return { status: 'FAILED', error: { kind: 'internal', message: `${stage.type} failed: ${(err as Error).message}` } };
  }
}
