import { stageOf, type Handler } from '../context.ts';
import { currentExecution, currentStages } from '../current.ts';
import { downstream, failsExecutionNow, hasWorkLeft, isStartable } from '../graph.ts';
import type { MessageOf } from '../messages.ts';
import { isComplete } from '../types.ts';

/** A stage finished: start what it unblocked, or end the execution when nothing is left. */
export const completeStage: Handler<MessageOf<'completeStage'>> = async (msg, hx) => {
  const stage = stageOf(hx, msg.stageId);
  if (!stage || !isComplete(stage.status)) return;
  const e = currentExecution(hx);
  if (isComplete(e.status)) return;
  if (failsExecutionNow(stage.status)) return hx.emit({ type: 'completeExecution', executionId: msg.executionId });
  // While paused, unblocked stages wait for the resume, which sends their startStage.
  if (e.status === 'RUNNING') {
    const stages = currentStages(hx);
    for (const next of downstream(stages, stage.refId)) {
      if (isStartable(stages, next)) hx.emit({ type: 'startStage', executionId: msg.executionId, stageId: next.id });
    }
    if (!hasWorkLeft(stages)) hx.emit({ type: 'completeExecution', executionId: msg.executionId });
  }
};
