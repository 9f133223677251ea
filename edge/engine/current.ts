import type { HandlerContext } from './context.ts';
import type { ExecutionState, StageState } from './types.ts';

/** Every stage as this handler has changed it so far. */
export const currentStages = (hx: HandlerContext): StageState[] => hx.loaded.stages.map((s) => hx.changes.pending(s.id) ?? s);
/** The execution as this handler has changed it so far. */
export const currentExecution = (hx: HandlerContext): ExecutionState => hx.changes.pendingExecution() ?? hx.loaded.execution;
