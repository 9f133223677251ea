import { describe, expect, it } from 'vitest';
import { Harness, SECOND, wait } from '../test/harness.ts';

describe('wait stage', () => {
  it.each([
    { rule: 'waitTime 0 ends at once', waitTime: 0, parameters: {}, seconds: 0 },
    { rule: 'waitTime 30 ends 30 s after the stage starts', waitTime: 30, parameters: {}, seconds: 30 },
    { rule: 'waitTime may be an expression, evaluated when the stage starts (parameters are strings)', waitTime: '${parameters.seconds}', parameters: { seconds: '15' }, seconds: 15 },
  ])('$rule', async ({ waitTime, parameters, seconds }) => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'wait', stages: [wait('1', waitTime)] }), { parameters });
    const t0 = h.now;
    await h.run();
    if (seconds > 0) {
      await h.advance(seconds * SECOND - 1);
      expect(await h.statuses(id)).toEqual({ '1': 'RUNNING' });
    }
    await h.advance(seconds === 0 ? 0 : 1);
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', startedAt: t0, endedAt: t0 + seconds * SECOND, context: { waitTime: seconds === 15 ? '15' : waitTime } });
  });

  it.each([
    { got: 'abc', json: '"abc"' },
    { got: '-5', json: '"-5"' },
  ])('a waitTime expression that is not a number of seconds ($got) fails the stage on waitTime instead of waiting forever', async ({ got, json }) => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'wait-nan', stages: [wait('1', '${parameters.seconds}')] }), { parameters: { seconds: got } });
    await h.run();
    expect(await h.stage(id, '1')).toMatchObject({ status: 'TERMINAL', error: { kind: 'user', field: 'waitTime', message: `waitTime: expected a number of seconds ≥ 0, got ${json}` } });
    expect(h.pendingCount()).toBe(0);
  });

  it('skip wait ends the wait at once, records who skipped and how much was left, and downstream starts', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'skip', stages: [wait('1', 3600), wait('2', 0, ['1'])] }));
    await h.run();
    await h.advance(10 * SECOND);
    await h.skipWait(id, '1', 'carol@example.com');
    expect(await h.stage(id, '1')).toMatchObject({ status: 'SUCCEEDED', endedAt: h.now, outputs: { skipped: true, skippedBy: 'carol@example.com', remainingMs: 3590 * SECOND } });
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED' });
    expect(await h.execution(id)).toMatchObject({ status: 'SUCCEEDED', endedAt: h.now });
  });

  it('the time left when skipped counts the time paused as not waited', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'skip-paused', stages: [wait('1', 10)] }));
    await h.run();
    await h.advance(4 * SECOND);
    await h.pause(id);
    await h.advance(100 * SECOND);
    await h.resume(id);
    await h.advance(SECOND);
    await h.skipWait(id, '1');
    expect((await h.stage(id, '1')).outputs).toMatchObject({ remainingMs: 5 * SECOND });
  });
});
