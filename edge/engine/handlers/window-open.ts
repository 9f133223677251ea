import { stageOf, type Handler } from '../context.ts';
import { currentExecution } from '../current.ts';
import type { MessageOf } from '../messages.ts';
import { beginStage } from '../steps.ts';

/** The stage's execution window opened, or a person skipped the wait: begin the stage. */
export const windowOpen: Handler<MessageOf<'windowOpen'>> = async (msg, hx) => {
  const stage = stageOf(hx, msg.stageId);
  if (!stage || stage.status !== 'SUSPENDED') return;
  const status = currentExecution(hx).status;
  // A skip while paused is kept, not lost: the window counts as open now, and the resume begins the stage.
  if (status === 'PAUSED' && msg.skippedBy) return void hx.changes.stage({ ...stage, meta: { ...stage.meta, windowUntil: hx.now, skippedBy: msg.skippedBy } });
  if (status !== 'RUNNING') return;
  // A skip may arrive before the window opens; the timed message that follows finds the stage running and does nothing.
  if (!msg.skippedBy && (stage.meta.windowUntil ?? 0) > hx.now) return;
  const { windowUntil: _dropped, ...meta } = stage.meta;
  const waited = hx.now - (stage.startedAt ?? hx.now);
  await beginStage(hx, { ...stage, meta: { ...meta, windowWaitMs: (meta.windowWaitMs ?? 0) + waited, ...(msg.skippedBy ? { skippedBy: msg.skippedBy } : {}) } });
};
