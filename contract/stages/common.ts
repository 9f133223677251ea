import { z } from 'zod';

/** A string holding at least one `${ … }` expression, evaluated when the stage starts. */
export const expression = z.string().regex(/\$\{[\s\S]*\}/, 'expected a number or a ${…} expression');

/** Zod's own union message is "Invalid input"; say what would have done. */
const orExpression = (what: string) => (issue: { input?: unknown; errors?: { message: string }[][] }) => {
  if (issue.input === undefined) return `required (expected ${what} or a \${…} expression)`;
  // A number refused by the number branch (1.5 where a whole number goes): that branch knows why.
  if (typeof issue.input === 'number' && issue.errors?.[0]?.[0]) return issue.errors[0][0].message;
  return `expected ${what} or a \${…} expression`;
};

/** A number, or an expression that yields one when the stage starts. */
export const numberOr = (n: z.ZodNumber) => z.union([n, expression], { error: orExpression('a number') });
/** A boolean, or an expression that yields one when the stage starts. */
export const booleanOr = z.union([z.boolean(), expression], { error: orExpression('a boolean') });

const hourMin = z.strictObject({
  startHour: z.number().int().min(0).max(23),
  startMin: z.number().int().min(0).max(59),
  endHour: z.number().int().min(0).max(23),
  endMin: z.number().int().min(0).max(59),
});

/** Options every stage accepts, whatever its type (Orca's shared stage context keys). */
export const stageBase = {
  refId: z.string().min(1).max(64),
  requisiteStageRefIds: z.array(z.string().min(1).max(64)).max(100).default([]),
  type: z.string(),
  name: z.string().min(1).max(200),
  comments: z.string().max(5000).optional(),
  failPipeline: z.boolean().optional(),
  continuePipeline: z.boolean().optional(),
  completeOtherBranchesThenFail: z.boolean().optional(),
  stageTimeoutMs: z.number().int().positive().optional(),
  markSuccessfulOnTimeout: z.boolean().optional(),
  stageEnabled: z
    .strictObject({ type: z.literal('expression'), expression: z.string().min(1).max(2000) })
    .optional(),
  restrictExecutionDuringTimeWindow: z.boolean().optional(),
  restrictedExecutionWindow: z
    .strictObject({
      whitelist: z.array(hourMin).max(20).default([]),
      days: z.array(z.number().int().min(1).max(7)).max(7).default([]),
      jitter: z
        .strictObject({
          enabled: z.boolean(),
          minDelay: z.number().int().min(0),
          maxDelay: z.number().int().min(0),
          skipManual: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
  sendNotifications: z.boolean().optional(),
  notifications: z.array(z.record(z.string(), z.unknown())).max(20).optional(),
};

/** A stage type: its name in pipeline JSON, what it does, and the schema of its own fields. */
export interface StageType<S extends z.ZodRawShape = z.ZodRawShape> {
  type: string;
  label: string;
  description: string;
  /** Which part of Gennaker carries it out: the edge engine, or an agent of the target account. */
  runsOn: 'edge' | 'agent';
  fields: S;
  /**
   * A rule spanning several fields, checked when a pipeline is saved (after each field passed its
   * own schema): the field to blame and why, or null.
   */
  check?: (stage: Record<string, unknown>) => { field: string; message: string } | null;
}

/** Declares a stage type, keeping the literal shape of its fields for typed context. */
export function defineStage<S extends z.ZodRawShape>(def: StageType<S>): StageType<S> {
  return def;
}

/** Cluster coordinates shared by every server-group stage. */
export const clusterTarget = {
  account: z.string().min(1).max(64),
  location: z.string().min(1).max(64),
  cluster: z.string().min(1).max(200),
};

export const capacity = z.strictObject({
  min: numberOr(z.number().int().min(0)),
  max: numberOr(z.number().int().min(0)),
  desired: numberOr(z.number().int().min(0)),
});
