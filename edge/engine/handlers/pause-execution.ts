import type { Handler } from '../context.ts';
import { currentExecution, currentStages } from '../current.ts';
import type { MessageOf } from '../messages.ts';

/** Pauses a running execution and its running stages; their timers stop counting toward timeouts. */
export const pauseExecution: Handler<MessageOf<'pauseExecution'>> = async (_msg, hx) => {
  const e = currentExecution(hx);
  if (e.status !== 'RUNNING') return;
  hx.changes.execution({ ...e, status: 'PAUSED', pausedAt: hx.now });
  for (const s of currentStages(hx)) {
    if (s.status === 'RUNNING') hx.changes.stage({ ...s, status: 'PAUSED', meta: { ...s.meta, pausedAt: hx.now } });
  }
};
