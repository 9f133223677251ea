import { describe, expect, it } from 'vitest';
import { diffRows } from './diff-rows.ts';

const lines = (n: number, f = (i: number) => `line ${i}`) => Array.from({ length: n }, (_, i) => f(i + 1)).join('\n');

describe('diffRows', () => {
  it('numbers both sides and counts changes', () => {
    const d = diffRows('a\nb\nc', 'a\nB\nc\nd');
    expect(d.added).toBe(2);
    expect(d.removed).toBe(1);
    expect(d.rows).toEqual([
      { kind: 'same', oldNo: 1, newNo: 1, text: 'a' },
      { kind: 'del', oldNo: 2, newNo: null, text: 'b' },
      { kind: 'add', oldNo: null, newNo: 2, text: 'B' },
      { kind: 'same', oldNo: 3, newNo: 3, text: 'c' },
      { kind: 'add', oldNo: null, newNo: 4, text: 'd' },
    ]);
  });

  it('folds long unchanged runs, keeping context around the change', () => {
    const before = lines(20);
    const after = lines(20, (i) => (i === 10 ? 'changed' : `line ${i}`));
    const d = diffRows(before, after, 2);
    expect(d.rows[0]).toEqual({ kind: 'skip', count: 7 });
    expect(d.rows.filter((r) => r.kind !== 'skip').map((r) => ('text' in r ? r.text : ''))).toEqual([
      'line 8', 'line 9', 'line 10', 'changed', 'line 11', 'line 12',
    ]);
    expect(d.rows.at(-1)).toEqual({ kind: 'skip', count: 8 });
  });

  it('shows nothing for equal texts', () => {
    expect(diffRows(lines(5), lines(5))).toEqual({ rows: [], added: 0, removed: 0 });
  });
});
