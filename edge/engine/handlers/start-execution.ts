import type { Handler } from '../context.ts';
import { currentStages } from '../current.ts';
import { initialStages } from '../graph.ts';

/**
 * Admission has marked the execution RUNNING; this starts its initial stages. `startedAt` tells a
 * first delivery from a repeated one.
 */
export const startExecution: Handler<{ type: 'startExecution'; executionId: string }> = async (msg, hx) => {
  const e = hx.loaded.execution;
  // PAUSED too: a pause may reach the runner before the start does. The stages sent now wait for the resume.
  if ((e.status !== 'RUNNING' && e.status !== 'PAUSED') || e.startedAt !== null) return hx.log('ignored', { reason: `execution is ${e.status}, started ${e.startedAt}` });
  hx.changes.execution({ ...e, startedAt: hx.now });
  const first = initialStages(currentStages(hx));
  for (const s of first) hx.emit({ type: 'startStage', executionId: msg.executionId, stageId: s.id });
  if (first.length === 0) hx.emit({ type: 'completeExecution', executionId: msg.executionId });
};
