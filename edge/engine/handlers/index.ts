import type { Handler } from '../context.ts';
import type { MessageOf, MessageType } from '../messages.ts';
import { cancelExecution } from './cancel-execution.ts';
import { checkTimeout } from './check-timeout.ts';
import { completeExecution } from './complete-execution.ts';
import { completeStage } from './complete-stage.ts';
import { notifyAdmission, notifyParent } from './notify.ts';
import { pauseExecution } from './pause-execution.ts';
import { restartStage } from './restart-stage.ts';
import { resumeExecution } from './resume-execution.ts';
import { runStage } from './run-stage.ts';
import { stageInput } from './stage-input.ts';
import { startExecution } from './start-execution.ts';
import { startStage } from './start-stage.ts';
import { windowOpen } from './window-open.ts';

/** One handler per message type; a missing one fails the type check. */
export const handlers: { [T in MessageType]: Handler<MessageOf<T>> } = {
  startExecution,
  startStage,
  windowOpen,
  runStage,
  stageInput,
  checkTimeout,
  completeStage,
  restartStage,
  completeExecution,
  cancelExecution,
  pauseExecution,
  resumeExecution,
  notifyAdmission,
  notifyParent,
};
