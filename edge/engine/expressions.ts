/**
 * Pipeline expressions: `${ … }` anywhere in a stage's strings, written in CEL and evaluated when
 * the stage starts. Variables: `trigger`, `parameters`, `execution`. Functions: Spinnaker's
 * helpers without `#` (`stage('Deploy')`, `stageByRefId('1')`, `judgment('Approve')`,
 * `currentStage()`, `toInt`, `toFloat`, `toBoolean`, `toJson`, `readJson`); a pasted `#stage(…)`
 * works too. Parameters arrive as strings, as in Spinnaker: compare numbers with
 * `int(parameters.count) > 2`. Default a missing key with `parameters.?region.orValue("eu")`.
 * `$${` is a literal `${`. Nothing here throws or does I/O.
 */
import { jsonPath } from '../../contract/errors.ts';
import { checkExpression, runExpression } from './expressions/cel.ts';
import { type Prepared, prepare } from './expressions/functions.ts';
import { type Segment, splitTemplate } from './expressions/syntax.ts';
import { checkSize, ExpressionError, interpolated } from './expressions/values.ts';

interface StageScope {
  refId: string;
  name: string;
  type: string;
  status: string;
  context: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export interface ExpressionScope {
  /** `{type, user, parameters, ...}`; `trigger.parameters` falls back to `parameters`. */
  trigger: Record<string, unknown>;
  parameters: Record<string, unknown>;
  execution: { id: string; application: string; name: string; status: string; startedAt: number | null; [k: string]: unknown };
  stages: readonly StageScope[];
  current?: StageScope;
}

export type ExpressionFailure = { ok: false; field: string; expression: string; reason: string };

/** Evaluates one bare expression (no `${}`), e.g. for the evaluate API box and checkPreconditions. */
export function evaluateExpression(expression: string, scope: ExpressionScope): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return runExpression(unwrap(expression), prepare(scope));
  } catch (error) {
    return { ok: false, reason: `internal error: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Someone pasting `${ parameters.env }` into the evaluate box means the expression inside. */
function unwrap(expression: string): string {
  if (!/^\s*\$\{[\s\S]*\}\s*$/.test(expression)) return expression;
  const split = splitTemplate(expression);
  const only = split.ok ? single(split.segments) : undefined;
  return only ?? expression;
}

/** The expression of a template that is exactly one `${…}` with only whitespace around it. */
function single(segments: readonly Segment[]): string | undefined {
  const expressions = segments.filter((s) => 'expression' in s);
  const textOnlyBlank = segments.every((s) => 'expression' in s || s.text.trim() === '');
  return expressions.length === 1 && textOnlyBlank ? (expressions[0] as { expression: string }).expression : undefined;
}

/**
 * Walks any JSON value and evaluates every `${…}` in its strings. A string that is exactly one
 * `${expr}` becomes the expression's typed value; mixed text is interpolated. Returns the evaluated
 * copy, or the first failure with the field's JSON path (`prefix` placed before it).
 */
export function evaluateTemplate(value: unknown, scope: ExpressionScope, prefix = ''): { ok: true; value: unknown } | ExpressionFailure {
  try {
    const prepared = prepare(scope);
    return walk(value, [], prefix, (s, field) => evaluateString(s, prepared, field));
  } catch (error) {
    return { ok: false, field: prefix, expression: '', reason: `internal error: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Checks syntax only (for pipeline save): the first `${…}` that does not parse, or names nothing known. */
export function checkTemplateSyntax(value: unknown, prefix = ''): ExpressionFailure | null {
  try {
    const result = walk(value, [], prefix, checkString);
    return result.ok ? null : result;
  } catch (error) {
    return { ok: false, field: prefix, expression: '', reason: `internal error: ${error instanceof Error ? error.message : String(error)}` };
  }
}

type StringStep = (s: string, field: string) => { ok: true; value: unknown } | ExpressionFailure;

/** Copies a JSON value, passing each string that holds `${` through `step`; stops at the first failure. */
function walk(value: unknown, path: PropertyKey[], prefix: string, step: StringStep): { ok: true; value: unknown } | ExpressionFailure {
  if (typeof value === 'string') return value.includes('${') ? step(value, fieldPath(prefix, path)) : { ok: true, value };
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [i, item] of value.entries()) {
      const r = walk(item, [...path, i], prefix, step);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  if (value !== null && typeof value === 'object') {
    const entries: [string, unknown][] = [];
    for (const [key, item] of Object.entries(value)) {
      const r = walk(item, [...path, key], prefix, step);
      if (!r.ok) return r;
      entries.push([key, r.value]);
    }
    // fromEntries defines keys, so a `__proto__` key stays a key.
    return { ok: true, value: Object.fromEntries(entries) };
  }
  return { ok: true, value };
}

/** A failure; a long expression is shortened so one bad field cannot bloat the stage's error. */
function failure(field: string, expression: string, reason: string): ExpressionFailure {
  return { ok: false, field, expression: expression.length > 500 ? `${expression.slice(0, 499)}…` : expression, reason };
}

function fieldPath(prefix: string, path: PropertyKey[]): string {
  const rest = jsonPath(path);
  if (!prefix) return rest;
  if (!rest) return prefix;
  return rest.startsWith('[') ? `${prefix}${rest}` : `${prefix}.${rest}`;
}

function evaluateString(s: string, prepared: Prepared, field: string): { ok: true; value: unknown } | ExpressionFailure {
  const split = splitTemplate(s);
  if (!split.ok) return failure(field, split.expression, split.reason);
  const only = single(split.segments);
  if (only !== undefined) {
    const r = runExpression(only.trim(), prepared);
    return r.ok ? r : failure(field, only.trim(), r.reason);
  }
  let out = '';
  for (const segment of split.segments) {
    if ('text' in segment) {
      out += segment.text;
      continue;
    }
    const expression = segment.expression.trim();
    const r = runExpression(expression, prepared);
    if (!r.ok) return failure(field, expression, r.reason);
    out += interpolated(r.value);
  }
  try {
    checkSize(out);
  } catch (error) {
    return failure(field, s, (error as ExpressionError).message);
  }
  return { ok: true, value: out };
}

function checkString(s: string, field: string): { ok: true; value: unknown } | ExpressionFailure {
  const split = splitTemplate(s);
  if (!split.ok) return failure(field, split.expression, split.reason);
  for (const segment of split.segments) {
    if (!('expression' in segment)) continue;
    const expression = segment.expression.trim();
    const reason = checkExpression(expression);
    if (reason !== null) return failure(field, expression, reason);
  }
  return { ok: true, value: s };
}
