import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pollWhile } from './poll.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A poller over a flag the test flips, counting ticks. */
function poller(opts: { live?: boolean; hidden?: boolean; tick?: () => Promise<void> } = {}) {
  const s = { live: opts.live ?? true, hidden: opts.hidden ?? false, ticks: 0 };
  const tick = opts.tick ?? (async () => {});
  const stop = pollWhile(() => s.live, () => (s.ticks++, tick()), { everyMs: 1000, hidden: () => s.hidden });
  return { s, stop };
}

describe('pollWhile', () => {
  it('ticks every interval while active, not at once', async () => {
    const { s, stop } = poller();
    expect(s.ticks).toBe(0);
    await vi.advanceTimersByTimeAsync(999);
    expect(s.ticks).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.ticks).toBe(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(s.ticks).toBe(4);
    stop();
  });

  it('stops after the tick that finds the work finished, and never starts for finished work', async () => {
    const { s } = poller();
    await vi.advanceTimersByTimeAsync(1000);
    s.live = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.ticks).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(s.ticks).toBe(2);
    expect(vi.getTimerCount()).toBe(0);

    const idle = poller({ live: false });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(idle.s.ticks).toBe(0);
  });

  it('skips ticks while the page is hidden but keeps the schedule, catching up when shown', async () => {
    const { s, stop } = poller({ hidden: true });
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.ticks).toBe(0);
    s.hidden = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.ticks).toBe(1);
    stop();
  });

  it('waits for a slow tick before the next interval starts, and stops for good when told, even mid-tick', async () => {
    let release = () => {};
    const { s, stop } = poller({ tick: () => new Promise<void>((r) => (release = r)) });
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.ticks).toBe(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.ticks).toBe(1);
    stop();
    release();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(s.ticks).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('logs a tick that throws and keeps polling', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { s, stop } = poller({ tick: () => Promise.reject(new Error('offline')) });
    await vi.advanceTimersByTimeAsync(3000);
    expect(s.ticks).toBe(3);
    expect(logged).toHaveBeenCalledTimes(3);
    expect(logged.mock.calls[0]![1]).toMatchObject({ message: 'offline' });
    stop();
    logged.mockRestore();
  });
});
