import { stageOf, type Handler } from '../context.ts';
import { currentExecution } from '../current.ts';
import type { MessageOf } from '../messages.ts';
import { applyStep, safely } from '../steps.ts';

/** A polling stage's timer fired: ask the stage type how it is doing. */
export const runStage: Handler<MessageOf<'runStage'>> = async (msg, hx) => {
  const stage = stageOf(hx, msg.stageId);
  if (!stage || stage.status !== 'RUNNING' || currentExecution(hx).status !== 'RUNNING') return;
  // A poll superseded by a later schedule (after a resume, say) is a duplicate: the later one runs.
  if (stage.meta.pollAt === undefined || stage.meta.pollAt > hx.now) return;
  const poll = hx.behaviour(stage.type)?.poll;
  if (!poll) return;
  applyStep(hx, stage, await safely(hx, stage, () => poll(hx.runtime(stage))));
};
