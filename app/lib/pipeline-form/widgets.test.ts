import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../stage-types.ts';
import { fieldsOf, fromInput, labelOf, toInput, widgetOf, type Widget } from './widgets.ts';

// Shapes as GET /stage-types renders contract/stages/*.ts with z.toJSONSchema.
const orNumber: JsonSchema = { anyOf: [{ type: 'integer', minimum: 0, maximum: 31_536_000 }, { type: 'string', pattern: '\\$\\{[\\s\\S]*\\}' }] };
const capacity: JsonSchema = { type: 'object', properties: { min: orNumber, max: orNumber, desired: orNumber }, required: ['min', 'max', 'desired'] };

describe('widgetOf', () => {
  it('picks a control by the shape of the value', () => {
    expect(widgetOf({ type: 'string', maxLength: 200 })).toEqual({ kind: 'text', multiline: false });
    expect(widgetOf({ type: 'string', maxLength: 10_000 })).toEqual({ kind: 'text', multiline: true });
    expect(widgetOf({ type: 'string', maxLength: 10_000, format: 'line' })).toEqual({ kind: 'text', multiline: false });
    expect(widgetOf({ type: 'integer', exclusiveMinimum: 0, maximum: 9007199254740991 })).toEqual({ kind: 'number', integer: true, min: 1, max: undefined });
    expect(widgetOf({ type: 'boolean' })).toEqual({ kind: 'boolean' });
    expect(widgetOf({ type: 'string', enum: ['redblack', 'none'], default: 'none' })).toEqual({ kind: 'select', options: ['redblack', 'none'] });
    expect(widgetOf({ type: 'string', const: 'expression' })).toEqual({ kind: 'const' });
  });

  it('offers a number or an expression where the contract accepts either', () => {
    expect(widgetOf(orNumber)).toEqual({ kind: 'orExpression', base: 'number' });
    expect(widgetOf({ anyOf: [{ type: 'boolean' }, { type: 'string', pattern: '\\$' }] })).toEqual({ kind: 'orExpression', base: 'boolean' });
  });

  it('draws arrays by their items: lines, checkboxes, one-key objects as lines, objects as repeated fieldsets', () => {
    expect(widgetOf({ type: 'array', items: { type: 'string' } })).toEqual({ kind: 'list', numeric: false });
    expect(widgetOf({ type: 'array', items: { type: 'integer', minimum: 100 } })).toEqual({ kind: 'list', numeric: true });
    expect(widgetOf({ type: 'array', items: { type: 'string', enum: ['failed', 'canceled'] } })).toEqual({ kind: 'checks', options: ['failed', 'canceled'] });
    expect(widgetOf({ type: 'array', items: { type: 'object', properties: { value: { type: 'string' } }, required: ['value'] } })).toEqual({ kind: 'valueList', key: 'value' });
    const clusters = widgetOf({ type: 'array', minItems: 1, items: { type: 'object', properties: { account: { type: 'string' }, capacity }, required: ['account'] } });
    expect(clusters.kind).toBe('objectList');
    const item = (clusters as Extract<Widget, { kind: 'objectList' }>).item;
    expect(item.kind === 'object' && item.fields.map((f) => [f.key, f.widget.kind])).toEqual([['account', 'text'], ['capacity', 'object']]);
  });

  it('falls back to a JSON sub-editor for records and free-form values', () => {
    expect(widgetOf({ type: 'object', additionalProperties: {} })).toEqual({ kind: 'json' });
    expect(widgetOf({})).toEqual({ kind: 'json' });
    expect(widgetOf({ type: 'array', items: { type: 'array', items: { type: 'string' } } })).toEqual({ kind: 'json' });
  });

  it('reads a discriminated union as variants keyed by the discriminator', () => {
    const w = widgetOf({
      oneOf: [
        { type: 'object', properties: { type: { const: 'manual' }, enabled: { type: 'boolean' } } },
        { type: 'object', properties: { type: { const: 'cron' }, enabled: { type: 'boolean' }, cronExpression: { type: 'string' } }, required: ['cronExpression'] },
      ],
    });
    expect(w.kind).toBe('union');
    const u = w as Extract<Widget, { kind: 'union' }>;
    expect(u.key).toBe('type');
    expect(Object.fromEntries(Object.entries(u.variants).map(([k, fs]) => [k, fs.map((f) => `${f.key}${f.required ? '*' : ''}`)]))).toEqual({
      manual: ['enabled'],
      cron: ['enabled', 'cronExpression*'],
    });
  });
});

describe('fieldsOf', () => {
  it('keeps schema order, marks required fields without defaults, and leaves out omitted keys', () => {
    const fields = fieldsOf(
      { type: 'object', required: ['refId', 'waitTime', 'strategy'], properties: { refId: { type: 'string' }, waitTime: orNumber, strategy: { type: 'string', enum: ['none'], default: 'none' } } },
      new Set(['refId']),
    );
    expect(fields.map((f) => [f.key, f.label, f.required])).toEqual([['waitTime', 'Wait time', true], ['strategy', 'Strategy', false]]);
  });
});

describe('labelOf', () => {
  it('spells keys as words, with units and acronyms', () => {
    expect(labelOf('healthCheckTimeoutSec')).toBe('Health check timeout (s)');
    expect(labelOf('stageTimeoutMs')).toBe('Stage timeout (ms)');
    expect(labelOf('statusUrlJsonPath')).toBe('Status URL JSON path');
    expect(labelOf('maxRemainingAsgs')).toBe('Max remaining ASGs');
    expect(labelOf('name')).toBe('Name');
  });
});

describe('toInput / fromInput', () => {
  const orExpr = widgetOf(orNumber);
  it('turns numeric text into a number and keeps an expression as written', () => {
    expect(fromInput(orExpr, '30')).toBe(30);
    expect(fromInput(orExpr, '${parameters.delay}')).toBe('${parameters.delay}');
    expect(fromInput(orExpr, '  ')).toBeUndefined();
    expect(toInput(orExpr, 30)).toBe('30');
  });
  it('keeps text the schema would refuse, so the API names the field', () => {
    expect(fromInput({ kind: 'number', integer: true, min: 0, max: undefined }, '3x')).toBe('3x');
    expect(fromInput({ kind: 'number', integer: true, min: 0, max: undefined }, '')).toBeUndefined();
  });
  it('removes an emptied optional text and keeps an emptied required one', () => {
    const t: Widget = { kind: 'text', multiline: false };
    expect(fromInput(t, '')).toBeUndefined();
    expect(fromInput(t, '', true)).toBe('');
  });
  it('reads lines into lists, skipping blank ones', () => {
    expect(fromInput({ kind: 'list', numeric: true }, '500\n\n 503 ')).toEqual([500, 503]);
    expect(fromInput({ kind: 'valueList', key: 'value' }, 'ship it\nhold\n')).toEqual([{ value: 'ship it' }, { value: 'hold' }]);
    expect(toInput({ kind: 'valueList', key: 'value' }, [{ value: 'a' }, { value: 'b' }])).toBe('a\nb');
    expect(toInput({ kind: 'list', numeric: false }, ['x', 'y'])).toBe('x\ny');
  });
});
