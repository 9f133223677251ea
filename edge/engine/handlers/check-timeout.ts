import { stageOf, type Handler } from '../context.ts';
import type { MessageOf } from '../messages.ts';
import { applyStep, stageTimeoutMs } from '../steps.ts';

/** Fails (or, with markSuccessfulOnTimeout, passes) a stage past its timeout; paused and window time do not count. */
export const checkTimeout: Handler<MessageOf<'checkTimeout'>> = async (msg, hx) => {
  const stage = stageOf(hx, msg.stageId);
  // Paused stages are re-armed on resume; complete ones are done.
  if (!stage || stage.status !== 'RUNNING' || stage.startedAt === null) return;
  const behaviour = hx.behaviour(stage.type);
  const timeoutMs = stageTimeoutMs(stage, behaviour);
  if (!timeoutMs) return;
  const elapsed = hx.now - stage.startedAt - (stage.meta.pausedMs ?? 0) - (stage.meta.windowWaitMs ?? 0);
  if (elapsed < timeoutMs) return hx.emit(msg, hx.now + (timeoutMs - elapsed));
  try {
    await behaviour?.cancel?.(hx.runtime(stage));
  } catch (err) {
    hx.log('stage.cancel.failed', { stageId: stage.id, message: (err as Error).message });
  }
  const outputs = { timedOut: true };
  if (stage.context.markSuccessfulOnTimeout === true) return void applyStep(hx, stage, { status: 'SUCCEEDED', outputs });
  applyStep(hx, stage, { status: 'FAILED', outputs, error: { kind: 'user', message: `stage timed out after ${Math.round(timeoutMs / 1000)} s` } });
};
