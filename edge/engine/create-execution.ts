/** Creates an execution of a pipeline, NOT_STARTED with all its stages, in one D1 batch. */
import { executions, stages } from '../../db/schema.ts';
import { database } from '../lib/db.ts';
import type { TriggerInfo } from './types.ts';

export interface PipelineSnapshot {
  id: string;
  application: string;
  name: string;
  version: number;
  config: Record<string, unknown>;
}

const engineKeys = new Set(['refId', 'requisiteStageRefIds', 'type', 'name']);

/**
 * The statements that store a new execution. `id` may be given so a repeated request (a child
 * started twice after a crash) maps to the same execution: the insert then does nothing.
 */
export function createExecutionStatements(
  d1: D1Database,
  p: PipelineSnapshot,
  opts: { id: string; trigger: TriggerInfo; parameters: Record<string, unknown>; now: number; startTimeExpiry?: number | null },
) {
  const db = database(d1);
  const stageConfigs = (p.config.stages ?? []) as Record<string, unknown>[];
  return [
    db.insert(executions).values({
      id: opts.id,
      application: p.application,
      pipelineId: p.id,
      pipelineVersion: p.version,
      name: p.name,
      status: 'NOT_STARTED',
      config: p.config,
      trigger: opts.trigger,
      parameters: opts.parameters,
      parentExecutionId: opts.trigger.parentExecutionId ?? null,
      createdAt: opts.now,
      startTimeExpiry: opts.startTimeExpiry ?? null,
      updatedAt: opts.now,
    }).onConflictDoNothing(),
    ...stageConfigs.map((s, i) =>
      db.insert(stages).values({
        id: `${opts.id}:${String(s.refId)}`,
        executionId: opts.id,
        refId: String(s.refId),
        type: String(s.type),
        name: String(s.name ?? `Stage ${i + 1}`),
        status: 'NOT_STARTED',
        requisiteStageRefIds: (s.requisiteStageRefIds ?? []) as string[],
        context: Object.fromEntries(Object.entries(s).filter(([k]) => !engineKeys.has(k))),
        updatedAt: opts.now,
      }).onConflictDoNothing(),
    ),
  ];
}

/**
 * The statements for an ad-hoc operation (a one-click rollback, a resize from the clusters view):
 * an execution of one stage with no pipeline behind it, RUNNING from the start (no admission: it
 * belongs to no pipeline's concurrency rules).
 */
export function adhocExecutionStatements(
  d1: D1Database,
  opts: { id: string; application: string; name: string; stage: Record<string, unknown>; trigger: TriggerInfo; now: number },
) {
  const db = database(d1);
  const config = { name: opts.name, stages: [opts.stage], limitConcurrent: false };
  return [
    db.insert(executions).values({
      id: opts.id,
      application: opts.application,
      pipelineId: null,
      pipelineVersion: null,
      name: opts.name,
      status: 'RUNNING',
      config,
      trigger: opts.trigger,
      parameters: {},
      createdAt: opts.now,
      updatedAt: opts.now,
    }),
    db.insert(stages).values({
      id: `${opts.id}:${String(opts.stage.refId)}`,
      executionId: opts.id,
      refId: String(opts.stage.refId),
      type: String(opts.stage.type),
      name: String(opts.stage.name),
      status: 'NOT_STARTED',
      requisiteStageRefIds: [],
      context: Object.fromEntries(Object.entries(opts.stage).filter(([k]) => !engineKeys.has(k))),
      updatedAt: opts.now,
    }),
  ];
}
