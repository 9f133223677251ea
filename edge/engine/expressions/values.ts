/**
 * Crossing between JSON and CEL values. CEL tells int (a BigInt here) from double; JSON does not,
 * so a JSON number that is a safe integer enters as an int, and results leave as plain JSON.
 */
import { Optional } from '@marcbachmann/cel-js';

/** A failure with a sentence fit to show a user as is. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

/** The most an evaluated field may hold, in UTF-8 bytes. */
export const maxResultBytes = 64 * 1024;

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
};

/** A JSON value as CEL sees it: integers become ints (BigInt), objects become prototype-free maps. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(toCel);
  if (!isPlainObject(value)) return value;
  // No prototype, so a JSON key such as `__proto__` or `constructor` is just a key.
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = toCel(v);
  return out;
}

/** A CEL result as plain JSON; throws ExpressionError for what JSON cannot hold. */
export function fromCel(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'bigint':
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new ExpressionError(`the integer ${value} is too large to keep exactly in JSON (limit ±2^53)`);
      }
      return Number(value);
    case 'number':
      if (!Number.isFinite(value)) throw new ExpressionError(`the result is ${value}, which JSON cannot hold`);
      return value;
    case 'object':
      return value === null ? null : objectFromCel(value);
    default:
      throw new ExpressionError(`a ${typeof value} cannot be kept in JSON`);
  }
}

function objectFromCel(value: object): unknown {
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(fromCel(k)), fromCel(v)]));
  if (value instanceof Optional) return value.hasValue() ? fromCel(value.value()) : null;
  if (value instanceof Uint8Array) throw new ExpressionError('bytes cannot be kept in JSON: convert them with string(…) or .base64()');
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ExpressionError('the result is an invalid timestamp');
    return value.toISOString();
  }
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCel(v)]));
  // The library's own scalars: a duration prints as CEL does ("90s"), a type as its name, a uint
  // is a BigInt inside.
  if (Object.prototype.toString.call(value) === '[object google.protobuf.Duration]') return String(value);
  const inner = value.valueOf();
  if (typeof inner === 'bigint') return fromCel(inner);
  return String(value).replace(/^Type<(.*)>$/, '$1');
}

/** A value placed inside text: strings as they are, anything else as JSON (`3`, `true`, `{"a":1}`). */
export const interpolated = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** UTF-8 length of a string, counted only when it might matter. */
function utf8Bytes(s: string): number {
  if (s.length * 3 <= maxResultBytes) return s.length;
  return new TextEncoder().encode(s).length;
}

/** Fails a result whose text (or JSON text) is over the limit, so one field cannot flood a stage. */
export function checkSize(value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  const bytes = utf8Bytes(text);
  if (bytes > maxResultBytes) {
    throw new ExpressionError(`the result is ${(bytes / 1024).toFixed(1)} KiB, over the ${maxResultBytes / 1024} KiB limit for one evaluated field`);
  }
}
