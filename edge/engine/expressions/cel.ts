/**
 * One CEL environment for every expression, and the two things done with it: run an expression
 * against a scope, or check that it parses and names only things that exist. The library
 * (@marcbachmann/cel-js) interprets its own syntax tree: no eval, which Workers forbid anyway.
 */
import { Environment, EvaluationError, ParseError, TypeError as CelTypeError } from '@marcbachmann/cel-js';
import { functions, type Prepared, toStringMethod, variableNames, withScope } from './functions.ts';
import { hint } from './suggest.ts';
import { originalColumn, type Source, stripSpelHashes } from './syntax.ts';
import { checkSize, ExpressionError, fromCel } from './values.ts';

const env = new Environment({
  // `{"replicas": 3, "region": "eu"}` is a normal thing to write in a pipeline.
  homogeneousAggregateLiterals: false,
  // `parameters.?region.orValue("eu-west-1")`: the standard CEL way to default a missing key.
  enableOptionalTypes: true,
  limits: { maxAstNodes: 5000, maxDepth: 100 },
});
for (const name of variableNames) env.registerVariable(name, 'map');
for (const f of functions) env.registerFunction(f.signature, f.handler as (...args: unknown[]) => unknown, { description: f.description });
env.registerFunction(toStringMethod.signature, toStringMethod.handler as (...args: unknown[]) => unknown);

const knownFunctions = [...new Set(env.getDefinitions().functions.map((f) => f.name))];
const ourFunctions = [...new Set(functions.map((f) => f.signature.slice(0, f.signature.indexOf('('))))];
/** Spinnaker helpers that fetch or look things up elsewhere: not in a sandbox that does no I/O. */
const spelOnly = new Set(['fromUrl', 'jsonFromUrl', 'yamlFromUrl', 'propertiesFromUrl', 'deployedServerGroups', 'manifestLabelValue', 'cfServiceKey', 'triggerResolvedArtifact', 'resolvedArtifacts', 'pipelineId', 'pipelineIdOrNull']);

export type Outcome = { ok: true; value: unknown } | { ok: false; reason: string };

/** Evaluates one bare expression (no `${}`) to a plain JSON value; never throws. */
export function runExpression(expression: string, prepared: Prepared): Outcome {
  if (!expression.trim()) return { ok: false, reason: 'empty expression' };
  const source = stripSpelHashes(expression);
  return withScope(prepared, () => {
    try {
      const raw: unknown = env.evaluate(source.text, prepared.variables);
      if (raw instanceof Promise) return { ok: false, reason: 'internal error: the expression evaluated asynchronously' };
      const value = fromCel(raw);
      checkSize(value);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, reason: describe(error, source, prepared) };
    }
  });
}

/**
 * The reason an expression cannot run whatever the scope: it does not parse, or it names a
 * variable or function that does not exist. Null when it may run. Never throws.
 */
export function checkExpression(expression: string): string | null {
  if (!expression.trim()) return 'empty expression';
  const source = stripSpelHashes(expression);
  try {
    const result = env.check(source.text);
    if (result.valid) return null;
    const { error } = result;
    if (!error) return null;
    if (error instanceof ParseError || error.code === 'unknown_variable') return describe(error, source);
    if (error.code === 'no_matching_overload' && !knownFunctions.includes(calledName(error) ?? '')) return describe(error, source);
    // Other type complaints may hinge on values only known at run time: let evaluation judge.
    return null;
  } catch (error) {
    return describe(error, source);
  }
}

type CelError = EvaluationError | CelTypeError | ParseError;
interface Node {
  op: string;
  args: unknown;
  range?: { start: number; end: number };
}

const nodeOf = (error: CelError) => error.node as unknown as Node | undefined;

function calledName(error: CelError): string | undefined {
  const node = nodeOf(error);
  if (node?.op === 'call' || node?.op === 'rcall') return (node.args as [string])[0];
  return undefined;
}

/** A human sentence for anything thrown while parsing or evaluating. */
function describe(error: unknown, source: Source, prepared?: Prepared): string {
  try {
    if (error instanceof ExpressionError) return error.message;
    if (error instanceof ParseError) {
      const at = error.range ? ` at column ${originalColumn(source, error.range.start)}` : '';
      const spel = /^Unexpected character: '?#'?$/.test(error.summary) ? ' ("#" may only stand before a function, as in #stage(\'x\'); SpEL variables such as #root do not exist here)' : '';
      return `syntax error${at}: ${parseSummary(error.summary)}${spel}`;
    }
    if (error instanceof EvaluationError || error instanceof CelTypeError) return describeEvaluation(error, source, prepared);
    if (error instanceof RangeError) {
      return /call stack/i.test(error.message) ? 'the expression nests too deeply' : `the result grew too large (${error.message})`;
    }
    return `internal error: ${error instanceof Error ? error.message : String(error)}`;
  } catch (inner) {
    return `internal error while describing a failure: ${inner instanceof Error ? inner.message : String(inner)}`;
  }
}

const tokenNames: Record<string, string> = {
  EOF: 'end of expression', NUMBER: 'a number', STRING: 'a string', BOOLEAN: 'a boolean', NULL: 'null',
  IDENTIFIER: 'a name', PLUS: '"+"', MINUS: '"-"', MULTIPLY: '"*"', DIVIDE: '"/"', MODULO: '"%"', EQ: '"=="',
  NE: '"!="', LT: '"<"', LE: '"<="', GT: '">"', GE: '">="', AND: '"&&"', OR: '"||"', NOT: '"!"', IN: '"in"',
  LPAREN: '"("', RPAREN: '")"', LBRACKET: '"["', RBRACKET: '"]"', LBRACE: '"{"', RBRACE: '"}"', DOT: '"."',
  COMMA: '","', COLON: '":"', QUESTION: '"?"', BYTES: 'bytes',
};

/** The parser's message with token names (`RPAREN`, `EOF`) said as a person would. */
function parseSummary(summary: string): string {
  if (summary === 'Unexpected token: EOF') return 'unexpected end of expression';
  const named = /^(Unexpected token: |Expected )/.test(summary) ? summary.replace(/\b[A-Z]+\b/g, (t) => tokenNames[t] ?? t) : summary;
  return lowerFirst(named.replace(/, got /, ' but found '));
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const stripDyn = (type: string) => type.replace(/dyn<([^<>]+)>/g, '$1');

function describeEvaluation(error: EvaluationError | CelTypeError, source: Source, prepared?: Prepared): string {
  const node = nodeOf(error);
  switch (error.code) {
    case 'unknown_variable': {
      const name = error.summary.replace(/^Unknown variable: /, '');
      return `undeclared reference to "${name}"${hint(name, [...variableNames], 'variables')}`;
    }
    case 'no_matching_overload':
      return describeCall(error);
    case 'no_such_key':
      return describeMissingKey(error, source, prepared);
    case 'no_such_overload': {
      const m = /^no such overload: (\S+) (\S+) (\S+)$/.exec(stripDyn(error.summary));
      if (!m) break;
      const [, left, op, right] = m as unknown as [string, string, string, string];
      return `cannot apply "${op}" to ${left} and ${right} in \`${snippet(source, node)}\`${operandHint(left, right)}`;
    }
  }
  const where = node?.range ? ` in \`${snippet(source, node)}\`` : '';
  return `${lowerFirst(stripDyn(error.summary.replace(/^No such key: (?=index)/, '')))}${where}`;
}

function operandHint(left: string, right: string): string {
  const types = [left, right];
  if (types.includes('string') && types.some((t) => t === 'int' || t === 'double')) {
    return ' (parameters are strings: convert with int(…) or double(…))';
  }
  if (types.includes('int') && types.includes('double')) return ' (CEL does not mix int and double: write 2.0 rather than 2, or convert with double(…) or int(…))';
  return '';
}

function describeCall(error: CelError): string {
  const name = calledName(error);
  const method = nodeOf(error)?.op === 'rcall';
  const got = /for '(.*)'$/.exec(error.summary)?.[1] ?? '';
  if (name === undefined) return lowerFirst(error.summary);
  if (!knownFunctions.includes(name)) {
    if (spelOnly.has(name)) return `${name}() is a Spinnaker helper Gennaker does not offer: expressions here do no I/O`;
    return method ? `unknown method "${name}"${hint(name, knownFunctions, null)}` : `unknown function "${name}"${hint(name, ourFunctions, 'functions include')}`;
  }
  const expected = functions.filter((f) => f.signature.startsWith(`${name}(`)).map((f) => f.signature.replace(/:.*$/, ''));
  return `wrong arguments for ${name}(): got ${stripDyn(got)}${expected.length ? `, expected ${expected.join(' or ')}` : ''}`;
}

/** `no key "regoin" in parameters (did you mean "region"?)`, looking up the map's keys to say so. */
function describeMissingKey(error: CelError, source: Source, prepared?: Prepared): string {
  const node = nodeOf(error);
  const key = error.summary.replace(/^No such key: /, '');
  if (/^index out of bounds/.test(key)) return `${key} in \`${snippet(source, node)}\``;
  const receiver = Array.isArray(node?.args) ? (node.args[0] as Node | undefined) : undefined;
  if (!receiver?.range) return `no key "${key}"`;
  const receiverText = snippet(source, receiver);
  const keys = prepared ? keysOf(source.text.slice(receiver.range.start, receiver.range.end), prepared) : undefined;
  const known = keys === undefined ? '' : keys.length === 0 ? ' (it has no keys)' : hint(key, keys, 'keys');
  return `no key "${key}" in ${receiverText}${known}`;
}

/** The keys of the map an expression yields, or undefined if it yields none. */
function keysOf(expression: string, prepared: Prepared): string[] | undefined {
  try {
    const value: unknown = env.evaluate(expression, prepared.variables);
    if (value instanceof Map) return [...value.keys()].map(String);
    if (value && typeof value === 'object' && [null, Object.prototype].includes(Object.getPrototypeOf(value))) return Object.keys(value);
  } catch {
    // The receiver may use a comprehension's variable (`xs.map(x, x.name)`): no keys to offer.
  }
  return undefined;
}

/** The source of a node as the user wrote it, shortened if long. */
function snippet(source: Source, node: Node | undefined): string {
  if (!node?.range) return source.original;
  const start = originalColumn(source, node.range.start) - 1;
  const end = originalColumn(source, Math.max(node.range.start, node.range.end - 1));
  const text = source.original.slice(start, end);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
