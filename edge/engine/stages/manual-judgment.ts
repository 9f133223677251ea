import type { StageBehaviour } from '../types.ts';

const THREE_DAYS_MS = 3 * 24 * 3600_000;

/**
 * `manualJudgment`: waits for a person to continue or stop, optionally choosing one of the
 * judgment inputs. Stop fails the stage (its failure options decide what that means).
 */
export const manualJudgment: StageBehaviour = {
  type: 'manualJudgment',
  defaultTimeoutMs: THREE_DAYS_MS,
  async start() {
    return { status: 'WAITING', outputs: { judgmentStatus: null } };
  },
  async input(rt, input) {
    if (input.kind !== 'judgment') return null;
    const options = ((rt.stage.context.judgmentInputs ?? []) as { value: string }[]).map((o) => o.value);
    if (input.input !== undefined && options.length > 0 && !options.includes(input.input)) return null;
    const outputs = {
      judgmentStatus: input.judgmentStatus,
      judgmentInput: input.input ?? null,
      judgedBy: input.user,
      judgedAt: new Date(rt.now).toISOString(),
      requiredRoles: rt.stage.context.selectedStageRoles ?? [],
    };
    if (input.judgmentStatus === 'continue') return { status: 'SUCCEEDED', outputs };
    return { status: 'FAILED', outputs, error: { kind: 'user', message: `stopped by ${input.user}${input.input ? ` (${input.input})` : ''}` } };
  },
};
