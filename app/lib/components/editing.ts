/** What the config editors (pipelines, canary configs) share: markers, inspected versions, failures. */
import type { PipelineVersion } from '../api.ts';
import { lineOfField, type JsonScan } from '../json-lines.ts';

/** How a config is shown for editing: forms generated from its schema, or its JSON. */
export type EditMode = 'form' | 'json';

/** The choices of the editors' "Edit as" toggle. */
export const EDIT_MODES: readonly { value: EditMode; label: string }[] = [
  { value: 'form', label: 'Form' },
  { value: 'json', label: 'JSON' },
];

/** A line the editor marks, and why. */
export interface Marker {
  line: number;
  message: string;
  /** False when the field is missing and its enclosing object's line stands in for it. */
  exact: boolean;
}

/** A saved version opened beside the editor: its config, or its diff against the current one. */
export type Inspect = { version: number; mode: 'view' | 'diff'; against?: 'saved' | 'editor' };

/**
 * One saved version of a versioned config (a pipeline, a canary config): the contract's pipeline
 * version without its owner's id, which canary config versions share field for field.
 */
export type SavedVersion = Omit<PipelineVersion, 'pipelineId'>;

/** A field the edge (or the form) refused, as a JSON path, and why. */
export interface Refusal {
  field: string;
  message: string;
}

/**
 * The line to mark in a JSON text: its syntax error while it does not parse (that one is fixed
 * first), else the refused field's line (or its nearest enclosing object's, when the field is missing).
 */
export function markerOf(scan: JsonScan, refused: Refusal | null): Marker | null {
  if (!scan.ok) return { line: scan.line, message: `${scan.message} (line ${scan.line}, column ${scan.column})`, exact: true };
  if (!refused) return null;
  const at = lineOfField(scan.lines, refused.field);
  return at && { line: at.line, message: refused.message, exact: at.exact };
}

/** What a failed save says in the banner; null when nothing failed. */
export function failureText(failure: unknown): string | null {
  if (failure instanceof Error) return failure.message;
  return failure ? String(failure) : null;
}
