import { describe, expect, it } from 'vitest';
import { downstreamOf, edgePath, layoutStages } from './stage-graph.ts';

const s = (refId: string, ...requisiteStageRefIds: string[]) => ({ refId, requisiteStageRefIds });
const placed = (stages: ReturnType<typeof s>[]) =>
  Object.fromEntries(layoutStages(stages).nodes.map((n) => [n.stage.refId, [n.column, n.row]]));

describe('layoutStages', () => {
  it('puts a chain in one row, a column per stage', () => {
    const l = layoutStages([s('1'), s('2', '1'), s('3', '2')]);
    expect(l.nodes.map((n) => [n.stage.refId, n.column, n.row])).toEqual([['1', 0, 0], ['2', 1, 0], ['3', 2, 0]]);
    expect(l.columns).toBe(3);
    expect(l.rows).toBe(1);
    expect(l.edges).toEqual([{ from: '1', to: '2' }, { from: '2', to: '3' }]);
  });

  it('uses the longest path from a root as the column, stacking parallel branches', () => {
    // 1 → 2 → 3 → 5, and 1 → 4 → 5: 5 waits for the longer branch.
    expect(placed([s('1'), s('2', '1'), s('3', '2'), s('4', '1'), s('5', '3', '4')])).toEqual({
      '1': [0, 0], '2': [1, 0], '4': [1, 1], '3': [2, 0], '5': [3, 0],
    });
  });

  it('keeps a stage next to its requisites, then config order', () => {
    // Two roots; b's child listed first still goes below a's child.
    expect(placed([s('a'), s('b'), s('b1', 'b'), s('a1', 'a')])).toEqual({ a: [0, 0], b: [0, 1], a1: [1, 0], b1: [1, 1] });
  });

  it('ignores unknown requisites and survives a cycle', () => {
    expect(placed([s('1', 'ghost')])).toEqual({ '1': [0, 0] });
    const l = layoutStages([s('1', '2'), s('2', '1')]);
    expect(l.nodes).toHaveLength(2);
    expect(l.edges).toHaveLength(1);
  });

  it('lays out nothing for no stages', () => {
    expect(layoutStages([])).toEqual({ nodes: [], columns: 0, rows: 0, edges: [] });
  });
});

describe('downstreamOf', () => {
  it('finds everything reachable, not the stage itself nor other branches', () => {
    const stages = [s('1'), s('2', '1'), s('3', '2'), s('4'), s('5', '4', '2')];
    expect(downstreamOf(stages, '2').map((x) => x.refId)).toEqual(['3', '5']);
    expect(downstreamOf(stages, '3')).toEqual([]);
  });
});

describe('edgePath', () => {
  const g = { nodeWidth: 100, nodeHeight: 40, gapX: 40, gapY: 10, pad: 0 };
  const route = (stages: ReturnType<typeof s>[], from: string, to: string) => {
    const l = layoutStages(stages);
    const at = (r: string) => l.nodes.find((n) => n.stage.refId === r)!;
    return edgePath(l, g, at(from), at(to));
  };

  it('curves between neighbouring columns', () => {
    expect(route([s('1'), s('2', '1')], '1', '2')).toEqual({ d: 'M100 20 C117 20 117 20 134 20', bottom: 0 });
  });

  it('runs straight along a free row across columns', () => {
    // b (column 0, row 1) → d (column 2): column 1 has only c, in row 0.
    expect(route([s('a'), s('b'), s('c', 'a'), s('d', 'c', 'b')], 'b', 'd').d).toBe('M100 70 L240 70 C257 70 257 20 274 20');
  });

  it('goes round through the gutter below when the row is taken', () => {
    const r = route([s('1'), s('2', '1'), s('3', '2', '1')], '1', '3');
    expect(r.bottom).toBe(45);
    expect(r.d).toBe('M100 20 C110 20 110 45 120 45 L240 45 C257 45 257 20 274 20');
  });
});
