import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorBody, firstIssue, jsonPath, withField } from './errors.ts';

describe('jsonPath', () => {
  it.each([
    [[], ''],
    [['name'], 'name'],
    [['stages', 2, 'requisiteStageRefIds', 0], 'stages[2].requisiteStageRefIds[0]'],
    [[0, 'name'], '[0].name'],
    [['headers', 'x-api-key'], 'headers["x-api-key"]'],
    [['env', 'has space', 'v'], 'env["has space"].v'],
    [['a', '$ref', '_b1'], 'a.$ref._b1'],
    [['1abc'], '["1abc"]'],
    [['say "hi"'], '["say \\"hi\\""]'],
  ] as [PropertyKey[], string][])('formats %j as %s', (path, expected) => {
    expect(jsonPath(path)).toBe(expected);
  });
});

describe('firstIssue', () => {
  const schema = z.strictObject({
    name: z.string().min(2),
    nested: z.strictObject({ count: z.number(), tags: z.array(z.string()).optional() }).optional(),
    either: z.union([z.number(), z.boolean()]).optional(),
  });
  const issue = (input: unknown, prefix?: PropertyKey[]) => firstIssue(schema.safeParse(input).error!, prefix);

  it('names an unknown field once, in the field and in the message', () => {
    expect(issue({ name: 'ok', zzz: 1 })).toEqual({ field: 'zzz', message: 'unknown field "zzz"' });
  });

  it('names every unknown field of one object, the first as the field', () => {
    expect(issue({ name: 'ok', zzz: 1, yyy: 2 })).toEqual({ field: 'zzz', message: 'unknown fields "zzz", "yyy"' });
  });

  it('places an unknown nested field under its parent', () => {
    expect(issue({ name: 'ok', nested: { count: 1, colour: 'red' } })).toEqual({ field: 'nested.colour', message: 'unknown field "nested.colour"' });
  });

  it('prefixes the path of a value validated inside a larger document', () => {
    expect(issue({ name: 'ok', nested: { count: 'x' } }, ['stages', 3])).toEqual({
      field: 'stages[3].nested.count',
      message: 'stages[3].nested.count: Invalid input: expected number, received string',
    });
    expect(issue({ name: 'ok', q: 1 }, ['stages', 3])).toEqual({ field: 'stages[3].q', message: 'unknown field "stages[3].q"' });
  });

  it('says "required" for a missing field', () => {
    expect(issue({})).toEqual({ field: 'name', message: 'name: required (expected string)' });
  });

  it("keeps zod's message for a value that is present but wrong", () => {
    expect(issue({ name: 'x' })).toEqual({ field: 'name', message: 'name: Too small: expected string to have >=2 characters' });
    expect(issue({ name: 'ok', nested: { count: 1, tags: ['a', 3] } }).field).toBe('nested.tags[1]');
  });

  it('lists the types a union would have taken', () => {
    expect(issue({ name: 'ok', either: 'x' })).toEqual({ field: 'either', message: 'either: expected number or boolean, received string' });
  });

  it('describes a wrong document as a whole with no field', () => {
    expect(issue(null)).toEqual({ field: '', message: 'Invalid input: expected object, received null' });
  });
});

describe('withField', () => {
  it('prefixes a message with its field, unless the whole document is at fault', () => {
    expect(withField('a.b', 'bad')).toBe('a.b: bad');
    expect(withField('', 'bad')).toBe('bad');
  });
});

describe('errorBody', () => {
  it('accepts the one error shape and refuses an unknown code', () => {
    expect(errorBody.safeParse({ error: { code: 'conflict', message: 'm', field: 'name', requestId: 'r' } }).success).toBe(true);
    expect(errorBody.safeParse({ error: { code: 'teapot', message: 'm', requestId: 'r' } }).success).toBe(false);
  });
});
