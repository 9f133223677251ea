import { stageOf, type Handler } from '../context.ts';
import { currentExecution } from '../current.ts';
import type { MessageOf } from '../messages.ts';
import { applyStep, safely } from '../steps.ts';

/** Input from outside (a judgment, a skip, a finished child or agent task) for a running stage. */
export const stageInput: Handler<MessageOf<'stageInput'>> = async (msg, hx) => {
  const stage = stageOf(hx, msg.stageId);
  if (!stage || stage.status !== 'RUNNING' || currentExecution(hx).status !== 'RUNNING') return;
  const input = hx.behaviour(stage.type)?.input;
  if (!input) return;
  const step = await safely(hx, stage, async () => (await input(hx.runtime(stage), msg.input)) ?? { status: 'WAITING' });
  // WAITING from an input means "not for me": leave the stage exactly as it was.
  if (step.status === 'WAITING') return;
  applyStep(hx, stage, step);
};
