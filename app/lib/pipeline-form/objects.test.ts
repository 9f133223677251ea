import { describe, expect, it } from 'vitest';
import { getIn, setIn } from './objects.ts';

describe('getIn', () => {
  it('follows keys and indexes, and answers undefined past a missing step', () => {
    const v = { stages: [{ clusters: [{ capacity: { desired: 2 } }] }] };
    expect(getIn(v, ['stages', 0, 'clusters', 0, 'capacity', 'desired'])).toBe(2);
    expect(getIn(v, ['stages', 3, 'name'])).toBeUndefined();
    expect(getIn(null, ['a'])).toBeUndefined();
  });
});

describe('setIn', () => {
  it('copies only the path it changes', () => {
    const before = { name: 'p', stages: [{ refId: '1' }, { refId: '2' }], triggers: [] };
    const after = setIn(before, ['stages', 1, 'name'], 'Soak') as typeof before;
    expect(after).toEqual({ name: 'p', stages: [{ refId: '1' }, { refId: '2', name: 'Soak' }], triggers: [] });
    expect(before.stages[1]).toEqual({ refId: '2' });
    expect(after.stages[0]).toBe(before.stages[0]);
    expect(after.triggers).toBe(before.triggers);
  });
  it('removes a key or an array item for undefined', () => {
    expect(setIn({ a: 1, b: 2 }, ['a'], undefined)).toEqual({ b: 2 });
    expect(setIn({ xs: ['a', 'b', 'c'] }, ['xs', 1], undefined)).toEqual({ xs: ['a', 'c'] });
  });
  it('creates missing objects and arrays on the way', () => {
    expect(setIn({}, ['stageEnabled', 'expression'], '${true}')).toEqual({ stageEnabled: { expression: '${true}' } });
    expect(setIn({}, ['options', 0, 'value'], 'a')).toEqual({ options: [{ value: 'a' }] });
  });
});
