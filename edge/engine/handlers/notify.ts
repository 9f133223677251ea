import type { Handler } from '../context.ts';
import type { MessageOf } from '../messages.ts';

/** Tells the pipeline's admission an execution ended, so waiting ones may start. */
export const notifyAdmission: Handler<MessageOf<'notifyAdmission'>> = async (msg, hx) => {
  await hx.ports.release(msg.pipelineId);
};

/** Tells a parent execution's `pipeline` stage that its child ended. */
export const notifyParent: Handler<MessageOf<'notifyParent'>> = async (msg, hx) => {
  await hx.ports.send(msg.parentExecutionId, [
    {
      type: 'stageInput',
      executionId: msg.parentExecutionId,
      stageId: msg.parentStageId,
      input: { kind: 'childCompleted', childExecutionId: msg.executionId, status: msg.status as never },
    },
  ]);
};
