/** Types the JSON editor and the version history share with the pages that use them. */

/** A line the editor marks, and why. */
export interface Marker {
  line: number;
  message: string;
  /** False when the field is missing and its enclosing object's line stands in for it. */
  exact: boolean;
}

/** A saved version opened beside the editor: its config, or its diff against the current one. */
export type Inspect = { version: number; mode: 'view' | 'diff'; against?: 'saved' | 'editor' };

/** One saved version of a versioned config (a pipeline, a canary config). */
export interface SavedVersion {
  version: number;
  config: Record<string, unknown>;
  author: string;
  action: 'create' | 'update' | 'restore';
  note: string | null;
  createdAt: string;
}
