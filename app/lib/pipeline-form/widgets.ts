/**
 * How the form editor shows a JSON Schema: each property becomes a field with one widget, chosen
 * from the schema's shape alone, so a new stage type gets a form without console changes.
 */
import type { JsonSchema } from '../stage-types.ts';

export type Widget =
  | { kind: 'text'; multiline: boolean }
  | { kind: 'number'; integer: boolean; min: number | undefined; max: number | undefined }
  | { kind: 'boolean' }
  | { kind: 'select'; options: string[] }
  /** A number or boolean, or a `${…}` expression evaluated when the stage starts. */
  | { kind: 'orExpression'; base: 'number' | 'boolean' }
  /** An array of strings or numbers, one per line. */
  | { kind: 'list'; numeric: boolean }
  /** An array of enum values, as checkboxes. */
  | { kind: 'checks'; options: string[] }
  /** An array of one-string objects (`[{value: 'a'}]`, Spinnaker's options), one `key` per line. */
  | { kind: 'valueList'; key: string }
  | { kind: 'object'; fields: FieldSpec[] }
  /** An object whose `key` picks one of several shapes (a trigger's `type`). */
  | { kind: 'union'; key: string; variants: Record<string, FieldSpec[]> }
  | { kind: 'objectList'; item: Extract<Widget, { kind: 'object' | 'union' }>; itemSchema: JsonSchema; min: number }
  /** A fixed value: nothing to edit. */
  | { kind: 'const' }
  /** Anything else (records, free-form payloads): a JSON sub-editor. */
  | { kind: 'json' };

export interface FieldSpec {
  key: string;
  label: string;
  required: boolean;
  schema: JsonSchema;
  widget: Widget;
}

const words: Record<string, string> = { url: 'URL', json: 'JSON', id: 'ID', ids: 'IDs', asgs: 'ASGs', http: 'HTTP', cron: 'Cron' };
const units: Record<string, string> = { sec: '(s)', ms: '(ms)', min: '(min)' };

/** `healthCheckTimeoutSec` → "Health check timeout (s)": a readable label from a key. */
export function labelOf(key: string): string {
  const parts = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  const unit = parts.length > 1 ? units[parts.at(-1)!] : undefined;
  if (unit) parts.splice(-1, 1, unit);
  const text = parts.map((w) => words[w] ?? w).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const typeOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type[0] : s.type);
const isExpression = (s: JsonSchema) => typeOf(s) === 'string' && !s.enum;
const stringEnum = (s: JsonSchema) => (s.enum?.every((v) => typeof v === 'string') ? (s.enum as string[]) : undefined);

/** The widget for a value of `schema`. */
export function widgetOf(schema: JsonSchema): Widget {
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return widgetOfUnion(options);
  if (schema.const !== undefined) return { kind: 'const' };
  const choices = stringEnum(schema);
  if (choices) return { kind: 'select', options: choices };
  switch (typeOf(schema)) {
    case 'string':
      // Long free text (instructions, comments) gets a text area; URLs and names a line.
      // `format: 'line'` keeps a long but one-line value (a parameter's default) on one line.
      return { kind: 'text', multiline: schema.format !== 'line' && (schema.maxLength ?? 0) >= 5000 };
    case 'integer':
    case 'number':
      return {
        kind: 'number',
        integer: typeOf(schema) === 'integer',
        min: schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined),
        max: schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? schema.maximum : undefined,
      };
    case 'boolean':
      return { kind: 'boolean' };
    case 'array':
      return widgetOfArray(schema);
    case 'object':
      return schema.properties ? { kind: 'object', fields: fieldsOf(schema) } : { kind: 'json' };
    default:
      return { kind: 'json' };
  }
}

function widgetOfUnion(options: JsonSchema[]): Widget {
  // `numberOr`/`booleanOr` in contract/stages/common.ts: a plain value or an expression string.
  if (options.length === 2) {
    const plain = options.find((o) => !isExpression(o));
    const expr = options.find(isExpression);
    const base = plain && typeOf(plain);
    if (expr && (base === 'integer' || base === 'number')) return { kind: 'orExpression', base: 'number' };
    if (expr && base === 'boolean') return { kind: 'orExpression', base: 'boolean' };
  }
  // A discriminated union: every option an object naming itself by the same const property.
  const key = Object.keys(options[0]?.properties ?? {}).find((k) => options.every((o) => o.properties?.[k]?.const !== undefined));
  if (key) {
    const variants = Object.fromEntries(
      options.map((o) => [String(o.properties![key]!.const), fieldsOf(o).filter((f) => f.key !== key)]),
    );
    return { kind: 'union', key, variants };
  }
  return { kind: 'json' };
}

function widgetOfArray(schema: JsonSchema): Widget {
  const items = schema.items;
  if (!items) return { kind: 'json' };
  const choices = stringEnum(items);
  if (choices) return { kind: 'checks', options: choices };
  const t = typeOf(items);
  if (t === 'string' || t === 'integer' || t === 'number') return { kind: 'list', numeric: t !== 'string' };
  const props = Object.entries(items.properties ?? {});
  if (props.length === 1 && typeOf(props[0]![1]) === 'string' && !items.anyOf) return { kind: 'valueList', key: props[0]![0] };
  const item = widgetOf(items);
  if (item.kind === 'object' || item.kind === 'union') return { kind: 'objectList', item, itemSchema: items, min: schema.minItems ?? 0 };
  return { kind: 'json' };
}

/** The fields of an object schema in schema order, without the keys in `omit`. */
export function fieldsOf(schema: JsonSchema, omit: ReadonlySet<string> = new Set()): FieldSpec[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {})
    .filter(([key]) => !omit.has(key))
    .map(([key, s]) => ({ key, label: labelOf(key), required: required.has(key) && s.default === undefined, schema: s, widget: widgetOf(s) }));
}

/** What an input shows for `value`. */
export function toInput(widget: Widget, value: unknown): string {
  if (value === undefined || value === null) return '';
  switch (widget.kind) {
    case 'list':
      return Array.isArray(value) ? value.map(String).join('\n') : '';
    case 'valueList':
      return Array.isArray(value) ? value.map((v) => String((v as Record<string, unknown>)?.[widget.key] ?? '')).join('\n') : '';
    case 'json':
      return JSON.stringify(value, null, 2);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

const numeric = /^-?\d+(\.\d+)?$/;

/**
 * The value an input's text stands for; `undefined` removes the key. A value the schema would
 * refuse (letters in a number) is kept as typed, so the API names the field instead of the form
 * silently dropping it.
 */
export function fromInput(widget: Widget, raw: string, required = false): unknown {
  const text = raw.trim();
  switch (widget.kind) {
    case 'number':
      return text === '' ? undefined : numeric.test(text) ? Number(text) : text;
    case 'orExpression':
      if (text === '') return undefined;
      if (widget.base === 'number' && numeric.test(text)) return Number(text);
      if (widget.base === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
      return raw;
    case 'list': {
      const lines = raw.split('\n').map((l) => l.trim()).filter(Boolean);
      return lines.map((l) => (widget.numeric && numeric.test(l) ? Number(l) : l));
    }
    case 'valueList':
      return raw.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => ({ [widget.key]: l }));
    case 'select':
    case 'text':
      return raw === '' && !required ? undefined : raw;
    default:
      return raw;
  }
}
