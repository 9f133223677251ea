import { ExecutionWindowError, nextWindowStart } from '../windows.ts';
import { stageOf, type Handler } from '../context.ts';
import { currentExecution, currentStages } from '../current.ts';
import { isStartable } from '../graph.ts';
import { applyStep, beginStage, rawContext, stageEnabled } from '../steps.ts';
import type { MessageOf } from '../messages.ts';

/** Starts a stage whose requisites are done: optional-stage check, execution window, then begin. */
export const startStage: Handler<MessageOf<'startStage'>> = async (msg, hx) => {
  const stage = stageOf(hx, msg.stageId);
  const e = currentExecution(hx);
  // A paused execution starts nothing; resuming sends startStage again for what became startable.
  if (!stage || e.status !== 'RUNNING' || !isStartable(currentStages(hx), stage)) return;

  const enabled = stageEnabled(hx, stage);
  if (!enabled.ok) return void applyStep(hx, { ...stage, startedAt: hx.now }, { status: 'FAILED', error: enabled.error });
  if (!enabled.enabled) return void applyStep(hx, { ...stage, startedAt: hx.now }, { status: 'SKIPPED' });

  const raw = rawContext(hx, stage);
  if (raw.restrictExecutionDuringTimeWindow === true && raw.restrictedExecutionWindow) {
    let until: number;
    try {
      until = nextWindowStart(hx.now, raw.restrictedExecutionWindow as never, e.timeZone, Math.random, { manual: e.trigger.type === 'manual' });
    } catch (err) {
      if (!(err instanceof ExecutionWindowError)) throw err;
      return void applyStep(hx, { ...stage, startedAt: hx.now }, { status: 'FAILED', error: { kind: 'user', message: err.message, field: err.field } });
    }
    if (until > hx.now) {
      hx.changes.stage({ ...stage, status: 'SUSPENDED', startedAt: hx.now, meta: { ...stage.meta, windowUntil: until } });
      hx.emit({ type: 'windowOpen', executionId: msg.executionId, stageId: stage.id }, until);
      return;
    }
  }
  await beginStage(hx, stage);
};
