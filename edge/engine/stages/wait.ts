import type { StageBehaviour, StageRuntime } from '../types.ts';

/** When the wait ends: start + waitTime, pushed back by time spent paused. */
const endsAt = (rt: StageRuntime) => (rt.stage.startedAt ?? rt.now) + Number(rt.stage.context.waitTime ?? 0) * 1000 + (rt.stage.meta.pausedMs ?? 0) + (rt.stage.meta.windowWaitMs ?? 0);

const check = async (rt: StageRuntime) => {
  const left = endsAt(rt) - rt.now;
  return left <= 0 ? ({ status: 'SUCCEEDED' } as const) : ({ status: 'RUNNING', retryAfterMs: left } as const);
};

/** `wait`: waits `waitTime` seconds; a person can skip the rest. */
export const wait: StageBehaviour = {
  type: 'wait',
  start: check,
  poll: check,
  async input(rt, input) {
    if (input.kind !== 'skipWait') return null;
    return { status: 'SUCCEEDED', outputs: { skipped: true, skippedBy: input.user, remainingMs: Math.max(0, endsAt(rt) - rt.now) } };
  },
};
