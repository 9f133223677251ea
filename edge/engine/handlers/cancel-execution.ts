import type { Handler } from '../context.ts';
import { currentExecution } from '../current.ts';
import type { MessageOf } from '../messages.ts';
import { cancelRunningStages } from '../steps.ts';
import { isComplete } from '../types.ts';

/** Cancels a started execution: running stages are told (webhook cancel, child cancel) and marked CANCELED. */
export const cancelExecution: Handler<MessageOf<'cancelExecution'>> = async (msg, hx) => {
  const e = currentExecution(hx);
  if (isComplete(e.status) || e.status === 'NOT_STARTED') return;
  hx.changes.execution({ ...e, status: 'CANCELED', canceledBy: msg.user, cancelReason: msg.reason });
  await cancelRunningStages(hx);
  hx.emit({ type: 'completeExecution', executionId: msg.executionId });
};
