/**
 * The functions expressions may call: Spinnaker's helpers (`stage`, `stageByRefId`, `judgment`,
 * `currentStage`, `toInt`, …) spelt without `#`. None does I/O, so evaluation stays deterministic.
 */
import type { ExpressionScope } from '../expressions.ts';
import { hint } from './suggest.ts';
import { ExpressionError, fromCel, toCel } from './values.ts';

type StageView = ExpressionScope['stages'][number];

/** One scope made ready for CEL: variables converted once, stages converted when first asked for. */
export interface Prepared {
  scope: ExpressionScope;
  variables: { trigger: unknown; parameters: unknown; execution: unknown };
  stageCache: Map<StageView, unknown>;
}

export const variableNames = ['trigger', 'parameters', 'execution'] as const;

export function prepare(scope: ExpressionScope): Prepared {
  return {
    scope,
    variables: {
      trigger: toCel({ ...scope.trigger, parameters: scope.trigger.parameters ?? scope.parameters }),
      parameters: toCel(scope.parameters),
      execution: toCel(scope.execution),
    },
    stageCache: new Map(),
  };
}

// The library hands a function only its arguments, yet stage() needs the execution at hand.
// Evaluation is synchronous (no function here is async), so the scope in force is held here for
// exactly the length of one evaluation; see `withScope`.
let active: Prepared | null = null;

/** Runs `fn` with `prepared` as the scope the functions see. */
export function withScope<T>(prepared: Prepared, fn: () => T): T {
  const previous = active;
  active = prepared;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

function current(): Prepared {
  if (!active) throw new ExpressionError('internal error: a stage function ran outside an evaluation');
  return active;
}

function stageValue(stage: StageView): unknown {
  const { stageCache } = current();
  let value = stageCache.get(stage);
  if (value === undefined) {
    const { refId, name, type, status, context, outputs } = stage;
    value = toCel({ refId, name, type, status, context, outputs });
    stageCache.set(stage, value);
  }
  return value;
}

function stageNamed(name: string): StageView {
  const { stages } = current().scope;
  const found = stages.find((s) => s.name === name);
  if (found) return found;
  throw new ExpressionError(`no stage named "${name}" in this execution${hint(name, stages.map((s) => s.name), 'stages')}`);
}

function stageByRefId(refId: string): unknown {
  const { stages } = current().scope;
  const found = stages.find((s) => s.refId === refId);
  if (found) return stageValue(found);
  throw new ExpressionError(`no stage with refId "${refId}" in this execution${hint(refId, stages.map((s) => s.refId), 'refIds')}`);
}

/** The input chosen at a manual judgment, or "" while none has been given. */
function judgment(name: string): string {
  const stage = stageNamed(name);
  if (stage.type !== 'manualJudgment') throw new ExpressionError(`stage "${name}" is a ${stage.type} stage, not a manual judgment`);
  const input = stage.outputs.judgmentInput ?? stage.context.judgmentInput;
  return typeof input === 'string' ? input : '';
}

function currentStage(): unknown {
  const stage = current().scope.current;
  if (!stage) throw new ExpressionError('currentStage() is only available while a stage is starting');
  return stageValue(stage);
}

const describeValue = (v: unknown) => JSON.stringify(fromCel(v));

function toInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return BigInt(v.trim());
  throw new ExpressionError(`toInt: ${describeValue(v)} is not an integer`);
}

function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new ExpressionError(`toFloat: ${describeValue(v)} is not a number`);
}

function toBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^\s*(true|false)\s*$/i.test(v)) return v.trim().toLowerCase() === 'true';
  throw new ExpressionError(`toBoolean: ${describeValue(v)} is not "true" or "false"`);
}

function readJson(text: string): unknown {
  try {
    return toCel(JSON.parse(text));
  } catch (error) {
    throw new ExpressionError(`readJson: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

type Handler = (...args: never[]) => unknown;

/** Every function we add, as `[signature, handler, description]`. */
export const functions: readonly { signature: string; handler: Handler; description: string }[] = [
  { signature: 'stage(string): map', handler: (name: string) => stageValue(stageNamed(name)), description: 'The stage with this name: {refId, name, type, status, context, outputs}.' },
  { signature: 'stageByRefId(string): map', handler: stageByRefId, description: 'The stage with this refId.' },
  { signature: 'stageByRefId(int): map', handler: (refId: bigint) => stageByRefId(String(refId)), description: 'The stage with this refId.' },
  { signature: 'judgment(string): string', handler: judgment, description: 'The input chosen at the named manual judgment ("" if none).' },
  { signature: 'judgement(string): string', handler: judgment, description: 'Alias of judgment(), as Spinnaker spells it too.' },
  { signature: 'currentStage(): map', handler: currentStage, description: 'The stage being started.' },
  { signature: 'toInt(dyn): int', handler: toInt, description: 'An int from a string such as "3", or a number (truncated).' },
  { signature: 'toFloat(dyn): double', handler: toFloat, description: 'A double from a string such as "2.5", or a number.' },
  { signature: 'toBoolean(dyn): bool', handler: toBoolean, description: 'A bool from "true" or "false" (any case).' },
  { signature: 'toJson(dyn): string', handler: (v: unknown) => JSON.stringify(fromCel(v)), description: 'The value as JSON text.' },
  { signature: 'readJson(string): dyn', handler: readJson, description: 'The value a JSON text holds.' },
];

/** `x.toString()` on a string, as SpEL writes `#stage('x').status.toString()`: the string itself. */
export const toStringMethod = { signature: 'string.toString(): string', handler: (s: string) => s };
