import { describe, expect, it } from 'vitest';
import { Harness, stage } from './test/harness.ts';

const waitS = (refId: string, seconds: number, req: string[] = [], extra: Record<string, unknown> = {}) => stage(refId, 'wait', { waitTime: seconds, ...extra }, req);

describe('a pipeline of stages', () => {
  it('runs a serial pipeline to SUCCEEDED, each stage after its requisite', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'serial', stages: [waitS('1', 10), waitS('2', 5, ['1'])] });
    const id = await h.start(p);
    await h.run();
    expect(await h.status(id)).toBe('RUNNING');
    expect(await h.statuses(id)).toEqual({ '1': 'RUNNING', '2': 'NOT_STARTED' });
    await h.advance(10_000);
    expect(await h.statuses(id)).toEqual({ '1': 'SUCCEEDED', '2': 'RUNNING' });
    await h.advance(5_000);
    expect(await h.status(id)).toBe('SUCCEEDED');
  });

  it('runs parallel branches and starts a join only when both are done', async () => {
    const h = new Harness();
    const p = await h.pipeline({ name: 'diamond', stages: [waitS('1', 0), waitS('2', 5, ['1']), waitS('3', 10, ['1']), waitS('4', 0, ['2', '3'])] });
    const id = await h.start(p);
    await h.run();
    expect(await h.statuses(id)).toMatchObject({ '1': 'SUCCEEDED', '2': 'RUNNING', '3': 'RUNNING', '4': 'NOT_STARTED' });
    await h.advance(5_000);
    expect(await h.statuses(id)).toMatchObject({ '2': 'SUCCEEDED', '3': 'RUNNING', '4': 'NOT_STARTED' });
    await h.advance(5_000);
    expect(await h.statuses(id)).toMatchObject({ '4': 'SUCCEEDED' });
    expect(await h.status(id)).toBe('SUCCEEDED');
    // The join started exactly once.
    expect(h.handled.filter((m) => m.type === 'startStage' && m.stageId.endsWith(':4')).length).toBeGreaterThanOrEqual(1);
    expect((await h.stage(id, '4')).startedAt).toBe(h.now);
  });

  it('ends an execution with no stages at once', async () => {
    const h = new Harness();
    const id = await h.start(await h.pipeline({ name: 'empty', stages: [] }));
    await h.run();
    expect(await h.status(id)).toBe('SUCCEEDED');
  });
});
