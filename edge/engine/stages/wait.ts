import type { StageBehaviour, StageRuntime, StageStep } from '../types.ts';

/** When the wait ends: start + waitTime, pushed back by time spent paused. */
const endsAt = (rt: StageRuntime) => (rt.stage.startedAt ?? rt.now) + Number(rt.stage.context.waitTime ?? 0) * 1000 + (rt.stage.meta.pausedMs ?? 0) + (rt.stage.meta.windowWaitMs ?? 0);

const check = async (rt: StageRuntime): Promise<StageStep> => {
  const left = endsAt(rt) - rt.now;
  return left <= 0 ? { status: 'SUCCEEDED' } : { status: 'RUNNING', retryAfterMs: left };
};

/** `wait`: waits `waitTime` seconds; a person can skip the rest. */
export const wait: StageBehaviour = {
  type: 'wait',
  async start(rt) {
    // An expression may yield anything; NaN would schedule the next poll at NaN, i.e. never.
    const seconds = Number(rt.stage.context.waitTime ?? 0);
    if (!Number.isFinite(seconds) || seconds < 0) {
      return { status: 'FAILED', error: { kind: 'user', field: 'waitTime', message: `waitTime: expected a number of seconds ≥ 0, got ${JSON.stringify(rt.stage.context.waitTime)}` } };
    }
    return check(rt);
  },
  poll: check,
  async input(rt, input) {
    if (input.kind !== 'skipWait') return null;
    return { status: 'SUCCEEDED', outputs: { skipped: true, skippedBy: input.user, remainingMs: Math.max(0, endsAt(rt) - rt.now) } };
  },
};
