import type { Handler } from '../context.ts';
import { currentExecution, currentStages } from '../current.ts';
import { failsExecutionNow, finalStatus, hasWorkLeft } from '../graph.ts';
import type { MessageOf } from '../messages.ts';
import { cancelRunningStages } from '../steps.ts';

/** Ends the execution by Orca's final-status rules, cancels what still runs, tells whoever waits. */
export const completeExecution: Handler<MessageOf<'completeExecution'>> = async (msg, hx) => {
  const e = currentExecution(hx);
  if (e.endedAt !== null || e.status === 'NOT_STARTED') return;
  const stages = currentStages(hx);
  const failing = stages.some((s) => failsExecutionNow(s.status));
  if (e.status !== 'CANCELED' && !failing && hasWorkLeft(stages)) return;
  const status = e.status === 'CANCELED' ? 'CANCELED' : finalStatus(stages);
  if (status !== 'SUCCEEDED') await cancelRunningStages(hx);
  const ended = hx.changes.execution({ ...e, status, endedAt: hx.now, pausedAt: null });
  hx.log('execution.complete', { status: ended.status });
  if (ended.pipelineId) hx.emit({ type: 'notifyAdmission', executionId: e.id, pipelineId: ended.pipelineId });
  const parent = e.trigger.parentExecutionId;
  if (parent && e.trigger.parentStageId) {
    hx.emit({ type: 'notifyParent', executionId: e.id, parentExecutionId: parent, parentStageId: e.trigger.parentStageId, status });
  }
};
