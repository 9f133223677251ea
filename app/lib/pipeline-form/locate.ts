/**
 * Where an API error's field (a JSON path such as `stages[2].clusters[0].capacity.desired`) is in
 * the form editor: which stage or pipeline section, and the control that edits it or, when that
 * value has no control of its own (an item inside a JSON sub-editor), the control that holds it.
 */
import { parsePath, type Segment } from '../json-lines.ts';
import type { FieldSpec, Widget } from './widgets.ts';

export type FormLocation =
  /** `control` is the path of the control inside the stage; empty for the stage as a whole. */
  | { area: 'stage'; index: number; control: Segment[] }
  /** `control` is the path of a pipeline-level control; empty for the config as a whole. */
  | { area: 'pipeline'; control: Segment[] };

/**
 * The controls a stage's fields and the pipeline's sections are drawn with; `common` maps stage
 * keys the stage form edits with a control of another name (the three failure flags share one).
 */
export interface FormShape {
  stageFields: (index: number) => readonly FieldSpec[] | null;
  common: Readonly<Record<string, string>>;
  pipelineFields: readonly FieldSpec[];
}

/** The form location of an API error's `field`, or null when the path cannot be read. */
export function locateField(field: string, shape: FormShape): FormLocation | null {
  const path = parsePath(field);
  if (!path) return null;
  const [head, index, ...rest] = path;
  if (head === 'stages' && typeof index === 'number') {
    const first = rest[0];
    if (first === undefined) return { area: 'stage', index, control: [] };
    if (typeof first === 'string' && first in shape.common) return { area: 'stage', index, control: [shape.common[first]!] };
    return { area: 'stage', index, control: controlPath(shape.stageFields(index) ?? [], rest) };
  }
  return { area: 'pipeline', control: controlPath(shape.pipelineFields, path) };
}

/**
 * The longest prefix of `path` that has a control: nested objects and lists of objects are drawn
 * field by field, everything else is one control. Empty when the first key is no field at all.
 */
export function controlPath(fields: readonly FieldSpec[], path: readonly Segment[]): Segment[] {
  const [key, ...rest] = path;
  const field = fields.find((f) => f.key === key);
  if (!field || key === undefined) return [];
  return [key, ...inside(field.widget, rest)];
}

function inside(widget: Widget, rest: readonly Segment[]): Segment[] {
  if (rest.length === 0) return [];
  switch (widget.kind) {
    case 'object':
      return controlPath(widget.fields, rest);
    case 'union':
      return controlPath(unionFields(widget), rest);
    case 'objectList': {
      const [i, ...deeper] = rest;
      return typeof i === 'number' ? [i, ...inside(widget.item, deeper)] : [];
    }
    default:
      return [];
  }
}

/** Every field any variant of a union has, its key first, each key once. */
export function unionFields(widget: Extract<Widget, { kind: 'union' }>): FieldSpec[] {
  const seen = new Set<string>();
  const keyField: FieldSpec = { key: widget.key, label: 'Type', required: true, schema: {}, widget: { kind: 'select', options: Object.keys(widget.variants) } };
  return [keyField, ...Object.values(widget.variants).flat()].filter((f) => !seen.has(f.key) && seen.add(f.key));
}

/** The DOM id of the control at `path` in a stage (by index) or the pipeline: one rule for drawing and focusing. */
export function controlId(location: FormLocation): string {
  const scope = location.area === 'stage' ? `stage${location.index}` : 'pipeline';
  return ['pf', scope, ...location.control.map((s) => String(s).replace(/[^\w-]/g, '_'))].join('-');
}

/** Whether an error at `at` belongs to the control at `control` (the same, or inside it). */
export function isAt(at: FormLocation | null, area: FormLocation['area'], control: readonly Segment[], index?: number): boolean {
  if (!at || at.area !== area || (at.area === 'stage' && at.index !== index)) return false;
  return at.control.length === control.length && control.every((s, i) => at.control[i] === s);
}
