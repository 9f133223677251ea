import type { HandlerContext } from './context.ts';
import type { ExpressionScope } from './expressions.ts';
import type { StageState } from './types.ts';

const view = (s: StageState) => ({ refId: s.refId, name: s.name, type: s.type, status: s.status, context: s.context, outputs: s.outputs });

/** What expressions of `stage` can see: trigger, parameters, the execution, every stage. */
export function scopeFor(hx: HandlerContext, stage?: StageState): ExpressionScope {
  const e = hx.changes.pendingExecution() ?? hx.loaded.execution;
  const stages = hx.loaded.stages.map((s) => hx.changes.pending(s.id) ?? s);
  return {
    trigger: { ...e.trigger, parameters: e.parameters },
    parameters: e.parameters,
    execution: { id: e.id, application: e.application, name: e.name, status: e.status, startedAt: e.startedAt, pipelineId: e.pipelineId },
    stages: stages.map(view),
    ...(stage ? { current: view(hx.changes.pending(stage.id) ?? stage) } : {}),
  };
}
