import { stageOf, type Handler } from '../context.ts';
import { currentExecution, currentStages } from '../current.ts';
import { withAllDownstream } from '../graph.ts';
import type { MessageOf } from '../messages.ts';
import { rawContext } from '../steps.ts';
import { isComplete } from '../types.ts';

/** Resets a finished stage and everything downstream to NOT_STARTED and runs it again, recording who. */
export const restartStage: Handler<MessageOf<'restartStage'>> = async (msg, hx) => {
  const stage = stageOf(hx, msg.stageId);
  if (!stage || !isComplete(stage.status)) return;
  const e = currentExecution(hx);
  if (e.status === 'NOT_STARTED' || e.status === 'PAUSED') return;
  for (const s of withAllDownstream(currentStages(hx), stage.refId)) {
    const isTarget = s.id === stage.id;
    hx.changes.stage({
      ...s,
      status: 'NOT_STARTED',
      context: rawContext(hx, s),
      outputs: {},
      error: null,
      startedAt: null,
      endedAt: null,
      meta: isTarget ? { restartedBy: msg.user, restartedAt: hx.now } : {},
    });
  }
  if (isComplete(e.status)) hx.changes.execution({ ...e, status: 'RUNNING', endedAt: null, canceledBy: null, cancelReason: null });
  hx.emit({ type: 'startStage', executionId: msg.executionId, stageId: stage.id });
};
