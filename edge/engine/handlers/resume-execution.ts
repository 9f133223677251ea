import type { Handler } from '../context.ts';
import { currentExecution, currentStages } from '../current.ts';
import { hasWorkLeft, isStartable } from '../graph.ts';
import type { MessageOf } from '../messages.ts';

/** Resumes a paused execution: stages run again, polls and timeouts are re-armed, unblocked stages start. */
export const resumeExecution: Handler<MessageOf<'resumeExecution'>> = async (msg, hx) => {
  const e = currentExecution(hx);
  if (e.status !== 'PAUSED') return;
  hx.changes.execution({ ...e, status: 'RUNNING', pausedAt: null });
  for (const s of currentStages(hx)) {
    // A window that opened while paused found the execution not RUNNING and did nothing: try again.
    if (s.status === 'SUSPENDED') hx.emit({ type: 'windowOpen', executionId: msg.executionId, stageId: s.id }, Math.max(hx.now, s.meta.windowUntil ?? hx.now));
    if (s.status !== 'PAUSED') continue;
    const { pausedAt, ...meta } = s.meta;
    const pausedMs = (meta.pausedMs ?? 0) + (hx.now - (pausedAt ?? hx.now));
    const pollAt = meta.pollAt === undefined ? undefined : Math.max(hx.now, meta.pollAt + (hx.now - (pausedAt ?? hx.now)));
    hx.changes.stage({ ...s, status: 'RUNNING', meta: { ...meta, pausedMs, ...(pollAt === undefined ? {} : { pollAt }) } });
    if (pollAt !== undefined) hx.emit({ type: 'runStage', executionId: msg.executionId, stageId: s.id }, pollAt);
    hx.emit({ type: 'checkTimeout', executionId: msg.executionId, stageId: s.id });
  }
  const stages = currentStages(hx);
  for (const s of stages) if (isStartable(stages, s)) hx.emit({ type: 'startStage', executionId: msg.executionId, stageId: s.id });
  if (!hasWorkLeft(stages)) hx.emit({ type: 'completeExecution', executionId: msg.executionId });
};
