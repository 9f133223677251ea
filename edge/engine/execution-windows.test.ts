/**
 * Execution windows in the engine: a stage outside its window is SUSPENDED until the window
 * opens (windows.ts decides when, in the application's time zone), then begins.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applications } from '../../db/schema.ts';
import { DAY, Harness, HOUR, judgment, MINUTE, SECOND, stage, wait } from './test/harness.ts';

// The harness clock starts on Thursday 2026-11-26 12:00 UTC (Spinnaker day 5; 1 = Sunday).
const THU_NOON = Date.UTC(2026, 10, 26, 12, 0, 0);
const hours = (startHour: number, endHour: number, startMin = 0, endMin = 0) => ({ startHour, startMin, endHour, endMin });
const restricted = (window: Record<string, unknown>) => ({ restrictExecutionDuringTimeWindow: true, restrictedExecutionWindow: window });

async function withTimeZone(h: Harness, timeZone: string) {
  await h.db.update(applications).set({ timeZone }).where(eq(applications.name, h.app)).run();
}

describe('execution windows', () => {
  it.each<{ rule: string; window: Record<string, unknown>; timeZone?: string; manual?: boolean; opensAfterMs: number }>([
    { rule: 'outside the window: SUSPENDED until it opens, then the stage begins', window: { whitelist: [hours(13, 14)] }, opensAfterMs: HOUR },
    { rule: 'inside the window: the stage begins at once', window: { whitelist: [hours(11, 13)] }, opensAfterMs: 0 },
    { rule: 'only on the listed days: Friday only waits for Friday', window: { whitelist: [hours(10, 11)], days: [6] }, opensAfterMs: 22 * HOUR },
    { rule: 'a window past midnight opens the same evening', window: { whitelist: [hours(22, 2)] }, opensAfterMs: 10 * HOUR },
    { rule: "the application's time zone: 13:00–14:00 in Paris is 12:00–13:00 UTC in November", window: { whitelist: [hours(13, 14)] }, timeZone: 'Europe/Paris', opensAfterMs: 0 },
    { rule: "the application's time zone: 08:00–09:00 in New York opens at 13:00 UTC in November", window: { whitelist: [hours(8, 9)] }, timeZone: 'America/New_York', opensAfterMs: HOUR },
    { rule: 'jitter delays the opening by its random seconds (here min = max = 90)', window: { whitelist: [hours(13, 14)], jitter: { enabled: true, minDelay: 90, maxDelay: 90 } }, opensAfterMs: HOUR + 90 * SECOND },
    { rule: 'jitter with skipManual is not applied to a manual trigger', window: { whitelist: [hours(13, 14)], jitter: { enabled: true, minDelay: 90, maxDelay: 90, skipManual: true } }, manual: true, opensAfterMs: HOUR },
  ])('$rule', async ({ window, timeZone, manual, opensAfterMs }) => {
    const h = new Harness();
    expect(h.now).toBe(THU_NOON);
    const p = await h.pipeline({ name: 'window', stages: [judgment('1', [], restricted(window))] });
    if (timeZone) await withTimeZone(h, timeZone);
    const id = await h.start(p, manual ? { trigger: { type: 'manual', user: 'alice@example.com' } } : {});
    await h.run();
    if (opensAfterMs === 0) {
      expect(await h.stage(id, '1')).toMatchObject({ status: 'RUNNING', startedAt: THU_NOON });
      return;
    }
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUSPENDED', startedAt: THU_NOON, meta: { windowUntil: THU_NOON + opensAfterMs } });
    expect(await h.status(id)).toBe('RUNNING');
    await h.advance(opensAfterMs - 1);
    expect(await h.statuses(id)).toEqual({ '1': 'SUSPENDED' });
    await h.advance(1);
    const s = await h.stage(id, '1');
    expect(s.status).toBe('RUNNING');
    expect(s.meta).toMatchObject({ windowWaitMs: opensAfterMs });
    expect(s.meta).not.toHaveProperty('windowUntil');
  });

  it('a wait stage behind a window waits its full time from the opening', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'window-wait', stages: [wait('1', 10, [], restricted({ whitelist: [hours(13, 14)] }))] }));
    await h.run();
    await h.advance(HOUR + 10 * SECOND - 1);
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING' });
    await h.advance(1);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', endedAt: THU_NOON + HOUR + 10 * SECOND });
  });

  it('the context of a suspended stage is evaluated when its window opens, not when it was suspended', async () => {
    const h = new Harness();
    const stages = [wait('A', 1800, [], { name: 'Bake' }), stage('B', 'evaluateVariables', { variables: [{ key: 'bake', value: "${stage('Bake').status}" }], ...restricted({ whitelist: [hours(13, 14)] }) })];
    const id = await h.start(await h.pipeline({ name: 'window-eval', stages }));
    await h.run();
    expect((await h.stage(id, 'B')).context).toMatchObject({ variables: [{ key: 'bake', value: "${stage('Bake').status}" }] });
    await h.advance(HOUR);
    expect((await h.stage(id, 'B')).outputs).toEqual({ bake: 'SUCCEEDED' });
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('skip window: the stage begins at once, who skipped is recorded, and the later opening changes nothing', async () => {
    const h = new Harness({ batchSteps: 0 });
    h.trace = true; // one commit per message, so each can be judged
    const id = await h.start(await h.pipeline({ name: 'window-skip', stages: [judgment('1', [], restricted({ whitelist: [hours(13, 14)] }))] }));
    await h.run();
    await h.advance(5 * MINUTE);
    await h.skipWindow(id, '1', 'dave@example.com');
    expect(await h.stage(id, '1')).toMatchObject({ status: 'RUNNING', meta: { skippedBy: 'dave@example.com', windowWaitMs: 5 * MINUTE } });
    await h.advance(HOUR);
    const opened = h.traced.filter((t) => t.message.type === 'windowOpen');
    expect(opened.map((t) => t.changed)).toEqual([true, false]);
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING' });
  });

  it('a window that opens while the execution is paused begins the stage on resume', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'window-paused', stages: [wait('1', 0, [], restricted({ whitelist: [hours(13, 14)] }))] }));
    await h.run();
    await h.pause(id);
    await h.advance(2 * HOUR); // the window opened at 13:00, during the pause
    expect(await h.statuses(id)).toEqual({ '1': 'SUSPENDED' });
    await h.resume(id);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', endedAt: THU_NOON + 2 * HOUR });
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('skip window while the execution is paused is kept: the stage begins on resume, recording who skipped', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'window-skip-paused', stages: [judgment('1', [], restricted({ whitelist: [hours(13, 14)] }))] }));
    await h.run();
    await h.pause(id);
    await h.advance(5 * MINUTE);
    await h.skipWindow(id, '1', 'dave@example.com');
    expect(await h.statuses(id)).toEqual({ '1': 'SUSPENDED' });
    await h.advance(5 * MINUTE);
    await h.resume(id);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'RUNNING', meta: { skippedBy: 'dave@example.com', windowWaitMs: 10 * MINUTE } });
  });

  it('a pause and resume before the window opens does not open it early', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'window-pause-early', stages: [judgment('1', [], restricted({ whitelist: [hours(13, 14)] }))] }));
    await h.run();
    await h.pause(id);
    await h.advance(10 * MINUTE);
    await h.resume(id);
    await h.advance(HOUR - 10 * MINUTE - 1);
    expect(await h.statuses(id)).toEqual({ '1': 'SUSPENDED' });
    await h.advance(1);
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING' });
  });

  it('an application time zone that does not exist fails the stage with the field at fault instead of wedging the execution', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'window-bad-zone', stages: [judgment('1', [], restricted({ whitelist: [hours(13, 14)] }))] });
    await withTimeZone(h, 'Mars/Olympus_Mons');
    const id = await h.start(p);
    await h.run();
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field: 'timeZone' } });
    expect(await h.status(id)).toBe('TERMINAL');
  });

  it('a window that has just closed on the only listed day waits a week for that day to come round', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'window-week', stages: [judgment('1', [], restricted({ whitelist: [hours(11, 12)], days: [5] }))] }));
    await h.run();
    // Thursday 11:00–12:00 has just closed: next Thursday.
    expect((await h.stage(id, '1')).meta).toMatchObject({ windowUntil: THU_NOON + 7 * DAY - HOUR });
  });
});
