import type { StageBehaviour, StageRuntime, StageStep } from '../types.ts';

const POLL_MS = 15_000;

const childId = (rt: StageRuntime) => rt.stage.meta.state?.childExecutionId as string | undefined;

function verdict(rt: StageRuntime, status: string): StageStep {
  const outputs = { childExecutionId: childId(rt), childStatus: status };
  if (status === 'SUCCEEDED') return { status: 'SUCCEEDED', outputs };
  if (status === 'CANCELED') return { status: 'CANCELED', outputs };
  return { status: 'FAILED', outputs, error: { kind: 'user', message: `child pipeline ended ${status}` } };
}

/**
 * `pipeline`: starts another pipeline as a child and, with `waitForCompletion`, waits for it.
 * The child tells the parent when it ends; a slow poll covers a lost notice.
 */
export const pipeline: StageBehaviour = {
  type: 'pipeline',
  async start(rt) {
    const c = rt.stage.context;
    const { executionId } = await rt.startChild({
      application: String(c.application),
      pipeline: String(c.pipeline),
      parameters: (c.pipelineParameters ?? {}) as Record<string, unknown>,
    });
    if (c.waitForCompletion === false) return { status: 'SUCCEEDED', outputs: { childExecutionId: executionId } };
    return { status: 'RUNNING', retryAfterMs: POLL_MS, outputs: { childExecutionId: executionId }, state: { childExecutionId: executionId } };
  },
  async poll(rt) {
    const id = childId(rt);
    const status = id ? await rt.childStatus(id) : null;
    if (!status || !['SUCCEEDED', 'TERMINAL', 'CANCELED', 'STOPPED', 'FAILED_CONTINUE', 'SKIPPED'].includes(status)) {
      return { status: 'RUNNING', retryAfterMs: POLL_MS };
    }
    return verdict(rt, status);
  },
  async input(rt, input) {
    if (input.kind !== 'childCompleted' || input.childExecutionId !== childId(rt)) return null;
    return verdict(rt, input.status);
  },
  async cancel(rt) {
    const id = childId(rt);
    if (id) await rt.cancelChild(id, `parent execution ${rt.execution.id} was canceled`);
  },
};
