import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { doorbellOf, wakeAgent } from './doorbell.ts';

describe('TaskDoorbell', () => {
  it('wakes a waiter when rung, with the new count', async () => {
    const bell = doorbellOf(env, crypto.randomUUID());
    const since = await bell.current();
    const started = Date.now();
    const waiting = bell.wait(since, 10_000);
    await new Promise((r) => setTimeout(r, 30));
    await wakeAgent(env, 'someone-else');
    await bell.ring();
    expect(await waiting).toBe(since + 1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('answers at once when rung since the count the waiter holds (a ring between the D1 check and the wait)', async () => {
    const bell = doorbellOf(env, crypto.randomUUID());
    const since = await bell.current();
    await bell.ring();
    const started = Date.now();
    expect(await bell.wait(since, 10_000)).toBe(since + 1);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('gives up after the timeout with the count unchanged', async () => {
    const bell = doorbellOf(env, crypto.randomUUID());
    const since = await bell.current();
    const started = Date.now();
    expect(await bell.wait(since, 50)).toBe(since);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});
