/** Reading executions from D1 in the API's shape: summaries with stage bars, details, queue positions. */
import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type { executionDetail, executionSummary } from '../../contract/executions.ts';
import { executions, pipelines, stages } from '../../db/schema.ts';
import { concurrencyOf, queuePosition } from '../engine/admission.ts';
import { executionsOf } from '../engine/store.ts';
import { badRequest } from '../errors.ts';
import type { Database } from '../lib/db.ts';
import { iso, isoOf } from '../lib/time.ts';

type ExecutionRow = typeof executions.$inferSelect;
type StageRow = typeof stages.$inferSelect;
type Summary = z.infer<typeof executionSummary>;

const encodeCursor = (r: { createdAt: number; id: string }) => btoa(`${r.createdAt}:${r.id}`).replace(/=+$/, '');
function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const m = /^(\d+):([\w-]+)$/.exec((() => { try { return atob(cursor); } catch { return ''; } })());
  if (!m) throw badRequest('cursor', 'cursor: not a cursor this API returned');
  return { createdAt: Number(m[1]), id: m[2]! };
}

async function positions(db: Database, rows: ExecutionRow[]): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  const byPipeline = new Set(rows.filter((r) => r.status === 'NOT_STARTED' && r.pipelineId).map((r) => r.pipelineId!));
  for (const pipelineId of byPipeline) {
    const p = await db.select({ config: pipelines.config }).from(pipelines).where(eq(pipelines.id, pipelineId)).get();
    const waiting = await executionsOf(db.$client as D1Database, pipelineId, ['NOT_STARTED']);
    for (const w of waiting) out.set(w.id, queuePosition(concurrencyOf(p?.config ?? {}), waiting, w.id));
  }
  return out;
}

function base(r: ExecutionRow, position: number | null) {
  return {
    id: r.id,
    application: r.application,
    pipelineId: r.pipelineId,
    pipelineVersion: r.pipelineVersion,
    name: r.name,
    status: r.status,
    trigger: r.trigger,
    parameters: r.parameters,
    createdAt: isoOf(r.createdAt),
    startedAt: iso(r.startedAt),
    endedAt: iso(r.endedAt),
    canceledBy: r.canceledBy,
    cancelReason: r.cancelReason,
    queuePosition: position,
  };
}

export function stageViewOf(s: StageRow) {
  const meta = s.meta as { restartedBy?: string; restartedAt?: number; windowUntil?: number };
  return {
    id: s.id,
    refId: s.refId,
    type: s.type,
    name: s.name,
    status: s.status,
    requisiteStageRefIds: s.requisiteStageRefIds,
    context: s.context,
    outputs: s.outputs,
    error: (s.error as never) ?? null,
    startedAt: iso(s.startedAt),
    endedAt: iso(s.endedAt),
    restartedBy: meta.restartedBy ?? null,
    restartedAt: iso(meta.restartedAt),
    windowUntil: iso(meta.windowUntil),
  };
}

/** Newest first, filtered by status, paged by an opaque cursor. */
export async function listExecutions(db: Database, scope: SQL, opts: { status?: string; limit: number; cursor?: string }): Promise<{ items: Summary[]; nextCursor: string | null }> {
  const filters: SQL[] = [scope];
  if (opts.status) filters.push(inArray(executions.status, opts.status.split(',') as ExecutionRow['status'][]));
  if (opts.cursor) {
    const c = decodeCursor(opts.cursor);
    filters.push(or(lt(executions.createdAt, c.createdAt), and(eq(executions.createdAt, c.createdAt), lt(executions.id, c.id)))!);
  }
  const newest = () => db.select().from(executions).where(and(...filters)).orderBy(desc(executions.createdAt), desc(executions.id));
  // The page's stages are found by the same query as a subquery, not by a list of its ids: D1
  // binds at most 100 parameters per statement, and a page holds up to 200 executions.
  const pageIds = db.select({ id: sql<string>`id` }).from(newest().limit(opts.limit).as('page'));
  const [rows, stageRows] = await db.batch([
    newest().limit(opts.limit + 1),
    db
      .select({ executionId: stages.executionId, refId: stages.refId, name: stages.name, type: stages.type, status: stages.status, requisiteStageRefIds: stages.requisiteStageRefIds })
      .from(stages)
      .where(inArray(stages.executionId, pageIds))
      .orderBy(sql`rowid`),
  ]);
  const page = rows.slice(0, opts.limit);
  const pos = await positions(db, page);
  const stagesOf = new Map<string, Omit<(typeof stageRows)[number], 'executionId'>[]>();
  for (const { executionId, ...s } of stageRows) {
    const list = stagesOf.get(executionId);
    if (list) list.push(s);
    else stagesOf.set(executionId, [s]);
  }
  return {
    items: page.map((r) => ({ ...base(r, pos.get(r.id) ?? null), stages: stagesOf.get(r.id) ?? [] })),
    nextCursor: rows.length > opts.limit ? encodeCursor(page.at(-1)!) : null,
  };
}

export async function executionDetailOf(db: Database, row: ExecutionRow): Promise<z.infer<typeof executionDetail>> {
  const stageRows = await db.select().from(stages).where(eq(stages.executionId, row.id)).orderBy(sql`rowid`).all();
  const pos = await positions(db, [row]);
  return { ...base(row, pos.get(row.id) ?? null), config: row.config, stages: stageRows.map(stageViewOf) };
}
