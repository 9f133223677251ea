import { z } from 'zod';

export const executionStatuses = ['NOT_STARTED', 'RUNNING', 'PAUSED', 'SUSPENDED', 'SUCCEEDED', 'FAILED_CONTINUE', 'SKIPPED', 'TERMINAL', 'CANCELED', 'STOPPED'] as const;
export const executionStatus = z.enum(executionStatuses);
export type ExecutionStatusName = z.infer<typeof executionStatus>;

/** Body of `POST /pipelines/{id}/executions`. */
export const executionStart = z.strictObject({
  parameters: z.record(z.string().max(100), z.union([z.string().max(10_000), z.number(), z.boolean()])).default({}),
  /** Cancel instead of starting when it is still waiting at this time (ISO 8601). */
  startTimeExpiry: z.iso.datetime({ offset: true }).optional(),
  /** Free-form note recorded with the trigger ("release 1.4.2"). */
  description: z.string().max(500).optional(),
});

export const stageError = z.object({
  kind: z.enum(['user', 'transient', 'internal']),
  message: z.string(),
  field: z.string().optional(),
  expression: z.string().optional(),
});

export const stageView = z.object({
  id: z.string(),
  refId: z.string(),
  type: z.string(),
  name: z.string(),
  status: executionStatus,
  requisiteStageRefIds: z.array(z.string()),
  context: z.record(z.string(), z.unknown()),
  outputs: z.record(z.string(), z.unknown()),
  error: stageError.nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  restartedBy: z.string().nullable(),
  restartedAt: z.string().nullable(),
  windowUntil: z.string().nullable(),
});

export const executionSummary = z.object({
  id: z.string(),
  application: z.string(),
  pipelineId: z.string().nullable(),
  pipelineVersion: z.number().nullable(),
  name: z.string(),
  status: executionStatus,
  trigger: z.record(z.string(), z.unknown()),
  parameters: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  canceledBy: z.string().nullable(),
  cancelReason: z.string().nullable(),
  /** For NOT_STARTED executions: 1 starts next. */
  queuePosition: z.number().nullable(),
  stages: z.array(z.object({ refId: z.string(), name: z.string(), type: z.string(), status: executionStatus, requisiteStageRefIds: z.array(z.string()) })),
});

export const executionDetail = executionSummary.omit({ stages: true }).extend({
  stages: z.array(stageView),
  config: z.record(z.string(), z.unknown()),
});

export const executionList = z.object({ items: z.array(executionSummary), nextCursor: z.string().nullable() });

export const executionListQuery = z.strictObject({
  status: z
    .string()
    .max(200)
    .optional()
    .refine((s) => !s || s.split(',').every((x) => (executionStatuses as readonly string[]).includes(x)), 'comma-separated execution statuses'),
  limit: z.coerce.number().int().min(1).max(200).default(25),
  cursor: z.string().max(200).optional(),
});

export const cancelRequest = z.strictObject({ reason: z.string().max(1000).default('canceled by a user') });
export const judgmentRequest = z.strictObject({ judgmentStatus: z.enum(['continue', 'stop']), input: z.string().max(200).optional() });
export const evaluateRequest = z.strictObject({ expression: z.string().min(1).max(10_000) });
