/**
 * The parts of a stage's form: the options every stage shares (drawn by hand, Spinnaker's
 * "common options"), the type's own fields and the remaining shared options (both generated
 * from the type's JSON Schema).
 */
import type { StageTypeInfo } from '../stage-types.ts';
import { fieldsOf, type FieldSpec } from './widgets.ts';

/** Stage keys the stage form edits with its own controls. */
export const commonKeys = [
  'name',
  'refId',
  'type',
  'requisiteStageRefIds',
  'failPipeline',
  'continuePipeline',
  'completeOtherBranchesThenFail',
  'stageEnabled',
  'stageTimeoutMs',
  'comments',
] as const;

/** The controls for common keys whose name differs from the key: the failure flags are one select. */
export const commonControls: Readonly<Record<string, string>> = {
  ...Object.fromEntries(commonKeys.map((k) => [k, k])),
  failPipeline: 'failureMode',
  continuePipeline: 'failureMode',
  completeOtherBranchesThenFail: 'failureMode',
};

/**
 * Keys every stage type's schema has: the options shared by all stages (`stageBase` in the
 * contract), learnt from the catalogue rather than listed again here.
 */
export function sharedKeys(types: readonly StageTypeInfo[]): Set<string> {
  const [first, ...others] = types;
  if (!first) return new Set();
  return new Set(Object.keys(first.schema.properties ?? {}).filter((k) => others.every((t) => t.schema.properties && k in t.schema.properties)));
}

export interface StageFormShape {
  /** The type's own fields. */
  own: FieldSpec[];
  /** Shared options without a control of their own in the common section (execution windows, notifications). */
  advanced: FieldSpec[];
}

/** The generated parts of the form for a stage of `type`; null for a type the catalogue lacks. */
export function stageFormOf(type: StageTypeInfo | undefined, shared: ReadonlySet<string>): StageFormShape | null {
  if (!type) return null;
  const common = new Set<string>(commonKeys);
  const all = fieldsOf(type.schema, common);
  // With a one-type catalogue every key looks shared; then all of them are the type's own.
  const isShared = (f: FieldSpec) => shared.has(f.key) && shared.size < Object.keys(type.schema.properties ?? {}).length;
  return { own: all.filter((f) => !isShared(f)), advanced: all.filter(isShared) };
}
