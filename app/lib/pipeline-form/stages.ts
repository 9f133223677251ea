/**
 * Editing a pipeline's stage DAG as the form editor does: insert after or beside a stage, delete
 * one, rename a refId, choose requisites without closing a cycle, and Spinnaker's "if this stage
 * fails" choice. Pure: each returns new stages and leaves its input alone.
 */
import { downstreamOf } from '../stage-graph.ts';

/** A stage as the form reads it from the config: the graph keys it needs, the rest as written. */
export interface EditStage {
  refId: string;
  requisiteStageRefIds: string[];
  type: string;
  name: string;
  [key: string]: unknown;
}

/** The config's stages in a shape the graph can lay out, whatever the JSON held. */
export function stagesOf(config: Record<string, unknown> | null): EditStage[] {
  const raw = Array.isArray(config?.stages) ? (config.stages as unknown[]) : [];
  return raw.map((s, i) => {
    const o = s !== null && typeof s === 'object' ? (s as Record<string, unknown>) : {};
    const reqs = Array.isArray(o.requisiteStageRefIds) ? o.requisiteStageRefIds.map(String) : [];
    return { ...o, refId: typeof o.refId === 'string' ? o.refId : `#${i + 1}`, requisiteStageRefIds: reqs, type: String(o.type ?? ''), name: String(o.name ?? '') };
  });
}

/** The next free numeric refId, as Spinnaker numbers stages. */
export function nextRefId(stages: readonly { refId: string }[]): string {
  const numbers = stages.map((s) => Number(s.refId)).filter(Number.isInteger);
  let next = numbers.length ? Math.max(...numbers) + 1 : stages.length + 1;
  while (stages.some((s) => s.refId === String(next))) next++;
  return String(next);
}

export type Placement = 'after' | 'parallel';

/**
 * Adds `stage` next to the stage at `index`. "after": it runs once that stage is done, and the
 * stages that waited for that one now wait for it (an insert into the chain). "parallel": it
 * waits for what that stage waits for, so both run side by side. Without a stage at `index` it
 * follows the last stage. Returns the stages and the new stage's index.
 */
export function insertStage(stages: readonly EditStage[], index: number, stage: EditStage, placement: Placement): { stages: EditStage[]; index: number } {
  const anchor = stages[index] ?? stages.at(-1);
  if (!anchor) return { stages: [{ ...stage, requisiteStageRefIds: [] }], index: 0 };
  if (placement === 'parallel') {
    const added = { ...stage, requisiteStageRefIds: [...anchor.requisiteStageRefIds] };
    return { stages: [...stages, added], index: stages.length };
  }
  const added = { ...stage, requisiteStageRefIds: [anchor.refId] };
  const rewired = stages.map((s) =>
    s.requisiteStageRefIds.includes(anchor.refId) ? { ...s, requisiteStageRefIds: s.requisiteStageRefIds.map((r) => (r === anchor.refId ? added.refId : r)) } : s,
  );
  const at = stages.indexOf(anchor) + 1;
  return { stages: [...rewired.slice(0, at), added, ...rewired.slice(at)], index: at };
}

/**
 * Deletes the stage at `index`. Stages that waited for it wait for its requisites instead, so
 * deleting the middle of a chain keeps the chain.
 */
export function removeStage(stages: readonly EditStage[], index: number): EditStage[] {
  const gone = stages[index];
  if (!gone) return [...stages];
  return stages
    .filter((_, i) => i !== index)
    .map((s) => {
      if (!s.requisiteStageRefIds.includes(gone.refId)) return s;
      const reqs = s.requisiteStageRefIds.flatMap((r) => (r === gone.refId ? gone.requisiteStageRefIds : [r]));
      return { ...s, requisiteStageRefIds: [...new Set(reqs)] };
    });
}

/** Why the stage at `index` cannot take `refId`: empty, or another stage's; undefined when it can. */
export function refIdError(stages: readonly EditStage[], index: number, refId: string): string | undefined {
  if (!refId.trim()) return 'required: other stages name this stage by it';
  const other = stages.find((s, i) => i !== index && s.refId === refId);
  if (other) return `"${refId}" is the ID of stage ${other.name ? `“${other.name}”` : 'Unnamed'}: choose another`;
  return undefined;
}

/**
 * Renames a stage's refId and every requisite naming it. Refuses (returns the stages unchanged)
 * when {@link refIdError} objects: two stages with one ID would merge their dependents, and a
 * later rename would carry the other stage's dependents along.
 */
export function renameRefId(stages: readonly EditStage[], index: number, refId: string): EditStage[] {
  const old = stages[index]?.refId;
  if (old === undefined || refIdError(stages, index, refId)) return [...stages];
  return stages.map((s, i) => ({
    ...s,
    refId: i === index ? refId : s.refId,
    requisiteStageRefIds: s.requisiteStageRefIds.map((r) => (r === old ? refId : r)),
  }));
}

/** One other stage offered as a requisite: whether it is one, and why it cannot be. */
export interface RequisiteChoice {
  refId: string;
  name: string;
  checked: boolean;
  /** Set when choosing it would make the stages wait for each other. */
  cycle: boolean;
}

/** The requisite checkboxes of the stage at `index`: every other stage, those downstream of it refused. */
export function requisiteChoices(stages: readonly EditStage[], index: number): RequisiteChoice[] {
  const self = stages[index];
  if (!self) return [];
  const below = new Set(downstreamOf(stages, self.refId).map((s) => s.refId));
  return stages
    .filter((_, i) => i !== index)
    .map((s) => ({
      refId: s.refId,
      name: s.name,
      checked: self.requisiteStageRefIds.includes(s.refId),
      // Already a requisite: unchecking is always allowed, even if the JSON had a cycle.
      cycle: below.has(s.refId) && !self.requisiteStageRefIds.includes(s.refId),
    }));
}

/** Spinnaker's "if this stage fails" options, each a combination of three stage flags. */
export const failureModes = {
  haltPipeline: { label: 'Halt the entire pipeline', flags: { failPipeline: true, continuePipeline: false, completeOtherBranchesThenFail: false } },
  haltBranch: { label: 'Halt this branch of the pipeline', flags: { failPipeline: false, continuePipeline: false, completeOtherBranchesThenFail: false } },
  haltBranchThenFail: {
    label: 'Halt this branch and fail the pipeline once other branches complete',
    flags: { failPipeline: false, continuePipeline: false, completeOtherBranchesThenFail: true },
  },
  ignore: { label: 'Ignore the failure', flags: { failPipeline: false, continuePipeline: true, completeOtherBranchesThenFail: false } },
} as const;
export type FailureMode = keyof typeof failureModes;

/** Which failure mode a stage's flags mean; absent flags are Orca's defaults (halt the pipeline). */
export function failureModeOf(stage: Record<string, unknown>): FailureMode {
  if (stage.continuePipeline === true) return 'ignore';
  if (stage.completeOtherBranchesThenFail === true) return 'haltBranchThenFail';
  if (stage.failPipeline === false) return 'haltBranch';
  return 'haltPipeline';
}

/** The stage with the flags of `mode`; the default mode leaves no flags behind. */
export function withFailureMode<S extends Record<string, unknown>>(stage: S, mode: FailureMode): S {
  const { failPipeline: _f, continuePipeline: _c, completeOtherBranchesThenFail: _b, ...rest } = stage;
  if (mode === 'haltPipeline') return rest as S;
  const flags = Object.fromEntries(Object.entries(failureModes[mode].flags).filter(([, v]) => v));
  return { ...rest, failPipeline: false, ...flags } as unknown as S;
}
