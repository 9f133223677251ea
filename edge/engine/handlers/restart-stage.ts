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
    // A downstream stage still at work (a child pipeline, a webhook) is told before it is reset.
    if (['RUNNING', 'PAUSED', 'SUSPENDED'].includes(s.status)) {
      try {
        await hx.behaviour(s.type)?.cancel?.(hx.runtime(s));
      } catch (err) {
        hx.log('stage.cancel.failed', { stageId: s.id, message: (err as Error).message });
      }
    }
    hx.changes.stage({
      ...s,
      status: 'NOT_STARTED',
      context: rawContext(hx, s),
      outputs: {},
      error: null,
      startedAt: null,
      endedAt: null,
      // On every reset stage, not only the target: a stage run keys its side effects on restartedAt
      // (a `pipeline` stage's child id), so a downstream stage that runs again must get a new one.
      meta: { restartedBy: msg.user, restartedAt: hx.now },
    });
  }
  if (isComplete(e.status)) hx.changes.execution({ ...e, status: 'RUNNING', endedAt: null, canceledBy: null, cancelReason: null });
  hx.emit({ type: 'startStage', executionId: msg.executionId, stageId: stage.id });
};
