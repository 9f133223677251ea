/** Where each stage of a pipeline's DAG goes on screen: a column per depth, parallel stages stacked. */

export interface GraphStage {
  refId: string;
  requisiteStageRefIds: readonly string[];
}

export interface PlacedStage<S extends GraphStage> {
  stage: S;
  /** Longest path from a root (a stage with no requisites): 0 for roots. */
  column: number;
  /** Position within the column, top first. */
  row: number;
}

export interface StageLayout<S extends GraphStage> {
  /** Column by column, top to bottom: also the order to tab through them. */
  nodes: PlacedStage<S>[];
  columns: number;
  /** The tallest column's height. */
  rows: number;
  /** One per requisite that names a stage in the graph: `from` must finish before `to` starts. */
  edges: { from: string; to: string }[];
}

/**
 * Lays out stages by DAG depth. Within a column, a stage sits near its requisites (ordered by
 * the mean row of its requisites, then by config order), which keeps simple fan-outs uncrossed.
 * Requisites naming unknown stages are ignored and a cycle does not loop: the edge that closes
 * it counts as absent (the edge refuses cyclic configs; this only guards the console).
 */
export function layoutStages<S extends GraphStage>(stages: readonly S[]): StageLayout<S> {
  const byRef = new Map(stages.map((s) => [s.refId, s]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (s: S): number => {
    const known = depth.get(s.refId);
    if (known !== undefined) return known;
    if (visiting.has(s.refId)) return -1;
    visiting.add(s.refId);
    let d = 0;
    for (const ref of s.requisiteStageRefIds) {
      const up = byRef.get(ref);
      if (up) d = Math.max(d, depthOf(up) + 1);
    }
    visiting.delete(s.refId);
    depth.set(s.refId, d);
    return d;
  };

  const columns: S[][] = [];
  for (const s of stages) (columns[depthOf(s)] ??= []).push(s);

  const order = new Map(stages.map((s, i) => [s.refId, i]));
  const rowOf = new Map<string, number>();
  const nodes: PlacedStage<S>[] = [];
  columns.forEach((column, c) => {
    const weight = (s: S) => {
      const rows = s.requisiteStageRefIds.map((r) => rowOf.get(r)).filter((r) => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : -1;
    };
    const sorted = column
      .map((s) => ({ s, w: weight(s), i: order.get(s.refId)! }))
      .sort((a, b) => a.w - b.w || a.i - b.i);
    sorted.forEach(({ s }, row) => {
      rowOf.set(s.refId, row);
      nodes.push({ stage: s, column: c, row });
    });
  });

  const edges = stages.flatMap((s) =>
    s.requisiteStageRefIds.filter((r) => byRef.has(r) && depth.get(r)! < depth.get(s.refId)!).map((r) => ({ from: r, to: s.refId })),
  );
  return { nodes, columns: columns.length, rows: Math.max(0, ...columns.map((c) => c.length)), edges };
}

/** The refIds of every stage downstream of `refId` (what restarting it resets), in config order. */
export function downstreamOf<S extends GraphStage>(stages: readonly S[], refId: string): S[] {
  const reached = new Set([refId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of stages) {
      if (!reached.has(s.refId) && s.requisiteStageRefIds.some((r) => reached.has(r))) {
        reached.add(s.refId);
        grew = true;
      }
    }
  }
  return stages.filter((s) => s.refId !== refId && reached.has(s.refId));
}

/** Sizes of the drawn graph, in pixels. */
export interface GraphGeometry {
  nodeWidth: number;
  nodeHeight: number;
  gapX: number;
  gapY: number;
  pad: number;
}

/** The top-left corner of a node. */
export function nodeAt(g: GraphGeometry, column: number, row: number): { x: number; y: number } {
  return { x: g.pad + column * (g.nodeWidth + g.gapX), y: g.pad + row * (g.nodeHeight + g.gapY) };
}

/**
 * An SVG path from `from`'s right side to `to`'s left side. Neighbouring columns get one curve;
 * a line across columns runs straight along its row while that row is free, otherwise in the
 * gutter below the columns it crosses, so it never passes through a stage (`bottom` is that
 * gutter's y, for sizing the drawing).
 */
export function edgePath<S extends GraphStage>(
  layout: StageLayout<S>,
  g: GraphGeometry,
  from: PlacedStage<S>,
  to: PlacedStage<S>,
): { d: string; bottom: number } {
  const a = nodeAt(g, from.column, from.row);
  const b = nodeAt(g, to.column, to.row);
  const [x1, y1, x2, y2] = [a.x + g.nodeWidth, a.y + g.nodeHeight / 2, b.x - 6, b.y + g.nodeHeight / 2];
  const curve = (sx: number, sy: number, ex: number, ey: number) => {
    const mx = (sx + ex) / 2;
    return `C${mx} ${sy} ${mx} ${ey} ${ex} ${ey}`;
  };
  if (to.column - from.column <= 1) return { d: `M${x1} ${y1} ${curve(x1, y1, x2, y2)}`, bottom: 0 };

  const between = layout.nodes.filter((n) => n.column > from.column && n.column < to.column);
  const lastGap = b.x - g.gapX; // the right edge of the column before the target's
  if (!between.some((n) => n.row === from.row)) {
    return { d: `M${x1} ${y1} L${lastGap} ${y1} ${curve(lastGap, y1, x2, y2)}`, bottom: 0 };
  }
  const lowest = Math.max(...between.map((n) => n.row));
  const lane = nodeAt(g, 0, lowest).y + g.nodeHeight + g.gapY / 2;
  const firstGap = x1 + g.gapX / 2;
  return {
    d: `M${x1} ${y1} ${curve(x1, y1, firstGap, lane)} L${lastGap} ${lane} ${curve(lastGap, lane, x2, y2)}`,
    bottom: lane,
  };
}
