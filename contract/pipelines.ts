import { z } from 'zod';
import { type FieldError, firstIssue, jsonPath, withField } from './errors.ts';
import { stageBase, stageType, stageTypes, type StageType } from './stages/index.ts';

export const parameterConfig = z.strictObject({
  name: z.string().min(1).max(100).regex(/^[A-Za-z_][\w.-]*$/, 'letters, digits, _ . - only'),
  label: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  default: z.string().max(10_000).optional(),
  required: z.boolean().default(false),
  hasOptions: z.boolean().optional(),
  options: z.array(z.strictObject({ value: z.string().max(1000) })).max(200).default([]),
  pinned: z.boolean().optional(),
});

const triggerBase = { enabled: z.boolean().default(true), id: z.string().max(100).optional() };
export const trigger = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('manual'), ...triggerBase }),
  z.strictObject({ type: z.literal('api'), ...triggerBase }),
  z.strictObject({
    type: z.literal('cron'),
    ...triggerBase,
    cronExpression: z.string().min(1).max(200),
    timeZone: z.string().max(64).optional(),
  }),
  z.strictObject({
    type: z.literal('webhook'),
    ...triggerBase,
    source: z.string().min(1).max(100).regex(/^[\w-]+$/),
    payloadConstraints: z.record(z.string(), z.string()).default({}),
  }),
  z.strictObject({
    type: z.literal('pipeline'),
    ...triggerBase,
    application: z.string().min(1).max(64),
    pipeline: z.string().min(1).max(100),
    status: z.array(z.enum(['successful', 'failed', 'canceled'])).min(1),
  }),
]);

export const notification = z.strictObject({
  type: z.enum(['slack', 'email', 'webhook', 'teams', 'pagerduty', 'githubStatus']),
  address: z.string().min(1).max(1000),
  when: z.array(
    z.enum([
      'pipeline.starting',
      'pipeline.complete',
      'pipeline.failed',
      'stage.starting',
      'stage.complete',
      'stage.failed',
      'manualJudgment',
      'manualJudgmentContinue',
      'manualJudgmentStop',
    ]),
  ),
  message: z.record(z.string(), z.object({ text: z.string() })).optional(),
});

/** A stage as it is written: the shared options, a known type, and that type's own fields. */
const stageShape = z.looseObject({ ...stageBase });

/**
 * Keys Spinnaker's "Edit as JSON" includes that the server owns (or Gennaker does not use).
 * Accepted so a pipeline pasted from Spinnaker saves; dropped by {@link validatePipelineConfig}.
 */
const serverManaged = {
  id: z.string().max(100).optional(),
  application: z.string().max(64).optional(),
  index: z.number().int().optional(),
  updateTs: z.union([z.string().max(40), z.number()]).optional(),
  createTs: z.union([z.string().max(40), z.number()]).optional(),
  lastModifiedBy: z.string().max(254).optional(),
  schema: z.string().max(10).optional(),
  spelEvaluator: z.string().max(10).optional(),
  appConfig: z.record(z.string(), z.unknown()).optional(),
};
const serverManagedKeys = Object.keys(serverManaged);

/** Pipeline config as Spinnaker shapes it; stages are checked further by {@link validatePipelineConfig}. */
export const pipelineConfig = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  disabled: z.boolean().default(false),
  stages: z.array(stageShape).max(200).default([]),
  triggers: z.array(trigger).max(50).default([]),
  parameterConfig: z.array(parameterConfig).max(100).default([]),
  notifications: z.array(notification).max(50).default([]),
  expectedArtifacts: z.array(z.record(z.string(), z.unknown())).max(50).default([]),
  limitConcurrent: z.boolean().default(true),
  maxConcurrentExecutions: z.number().int().min(0).max(1000).default(0),
  keepWaitingPipelines: z.boolean().default(false),
  ...serverManaged,
});
/** A stored pipeline config: defaults filled in, server-managed keys removed. */
export type PipelineConfig = Omit<z.infer<typeof pipelineConfig>, keyof typeof serverManaged>;
export type StageConfig = z.infer<typeof stageShape>;

export type Validated<T> = { ok: true; value: T } | ({ ok: false } & FieldError);

// Built on first use per stage type: the strict schema of a stage is its shared options plus its own fields.
const stageSchemas = new Map<string, z.ZodType>();
function stageSchema(def: StageType): z.ZodType {
  let schema = stageSchemas.get(def.type);
  if (!schema) stageSchemas.set(def.type, (schema = z.strictObject({ ...stageBase, ...def.fields })));
  return schema;
}

/**
 * Validates a pipeline config fully: its shape, each stage against its type's schema, unique
 * refIds, requisites that exist, no cycles, unique parameter names. Errors name the JSON path.
 * The value returned is the config to store: defaults filled in, server-managed keys dropped.
 */
export function validatePipelineConfig(input: unknown): Validated<PipelineConfig> {
  const parsed = pipelineConfig.safeParse(input);
  if (!parsed.success) return { ok: false, ...firstIssue(parsed.error) };
  const config: Record<string, unknown> = { ...parsed.data };
  for (const key of serverManagedKeys) delete config[key];

  const stages: StageConfig[] = [];
  for (const [i, raw] of parsed.data.stages.entries()) {
    const def = stageType(raw.type);
    if (!def) {
      const known = stageTypes.map((s) => s.type).join(', ');
      return fail(['stages', i, 'type'], `unknown stage type "${raw.type}"; known types: ${known}`);
    }
    const full = stageSchema(def).safeParse(raw);
    if (!full.success) return { ok: false, ...firstIssue(full.error, ['stages', i]) };
    const problem = def.check?.(full.data as Record<string, unknown>);
    if (problem) return fail(['stages', i, problem.field], problem.message);
    stages.push(full.data as StageConfig);
  }

  const dag = checkStageGraph(stages);
  if (!dag.ok) return dag;

  const names = new Set<string>();
  for (const [i, p] of parsed.data.parameterConfig.entries()) {
    if (names.has(p.name)) return fail(['parameterConfig', i, 'name'], `duplicate parameter name "${p.name}"`);
    names.add(p.name);
    // Spinnaker keeps `options` around when `hasOptions` is switched off; only live options bind the default.
    const bound = p.hasOptions !== false && p.options.length > 0;
    if (p.default !== undefined && p.default !== '' && bound && !p.options.some((o) => o.value === p.default)) {
      return fail(['parameterConfig', i, 'default'], `default "${p.default}" is not one of the options`);
    }
  }
  return { ok: true, value: { ...(config as PipelineConfig), stages } };
}

/** Checks refIds are unique, requisites exist, and the requisite graph has no cycle. */
export function checkStageGraph(stages: readonly StageConfig[]): Validated<null> {
  const index = new Map<string, number>();
  for (const [i, s] of stages.entries()) {
    if (index.has(s.refId)) {
      return fail(['stages', i, 'refId'], `duplicate refId "${s.refId}" (also used by stages[${index.get(s.refId)}])`);
    }
    index.set(s.refId, i);
  }
  for (const [i, s] of stages.entries()) {
    for (const [j, req] of s.requisiteStageRefIds.entries()) {
      if (req === s.refId) return fail(['stages', i, 'requisiteStageRefIds', j], `stage "${s.refId}" cannot require itself`);
      if (!index.has(req)) {
        return fail(['stages', i, 'requisiteStageRefIds', j], `requisite stage "${req}" does not exist`);
      }
    }
  }
  // Depth-first search with colours; a grey node met again closes a cycle.
  const colour = new Map<string, 'grey' | 'black'>();
  const trail: string[] = [];
  const visit = (ref: string): string[] | null => {
    colour.set(ref, 'grey');
    trail.push(ref);
    for (const req of stages[index.get(ref)!]!.requisiteStageRefIds) {
      if (colour.get(req) === 'grey') return [...trail.slice(trail.indexOf(req)), req];
      if (!colour.has(req)) {
        const cycle = visit(req);
        if (cycle) return cycle;
      }
    }
    trail.pop();
    colour.set(ref, 'black');
    return null;
  };
  for (const s of stages) {
    if (colour.has(s.refId)) continue;
    const cycle = visit(s.refId);
    if (cycle) {
      const i = index.get(cycle[0]!)!;
      return fail(['stages', i, 'requisiteStageRefIds'], `stages form a cycle: ${cycle.join(' → ')}`);
    }
  }
  return { ok: true, value: null };
}

function fail(path: (string | number)[], message: string): { ok: false } & FieldError {
  const field = jsonPath(path);
  return { ok: false, field, message: withField(field, message) };
}

export const pipeline = z.object({
  id: z.string(),
  application: z.string(),
  name: z.string(),
  version: z.number().int(),
  config: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type Pipeline = z.infer<typeof pipeline>;

export const pipelineVersion = z.object({
  pipelineId: z.string(),
  version: z.number().int(),
  config: z.record(z.string(), z.unknown()),
  author: z.string(),
  createdAt: z.string(),
  action: z.enum(['create', 'update', 'restore']),
  note: z.string().nullable(),
});
export type PipelineVersion = z.infer<typeof pipelineVersion>;
