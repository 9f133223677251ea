/**
 * Every engine scenario again, drained the way the runner Durable Object drains it: the due
 * messages of one execution and the chains they start, handled in one D1 commit (`processBatch`).
 * The scenario files are imported under a query so each gets a fresh module instance whose
 * tests register here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, wait } from './test/harness.ts';

beforeAll(() => {
  Harness.defaultBatchSteps = 256;
});
afterAll(() => {
  Harness.defaultBatchSteps = 0;
});

const scenarios = [
  './engine.test.ts',
  './controls.test.ts',
  './admission.test.ts',
  './stage-context.test.ts',
  './execution-windows.test.ts',
  './stages/pipeline.test.ts',
  './stages/wait.test.ts',
  './stages/manual-judgment.test.ts',
  './stages/check-preconditions.test.ts',
  './stages/evaluate-variables.test.ts',
];
// A variable specifier: the type checker need not resolve the query, and vite gives each its own instance.
for (const file of scenarios) await import(/* @vite-ignore */ `${file}?batched`);

describe('batched draining', () => {
  it('is in force: a chain of instant stages runs from one delivered message', async () => {
    const h = new Harness();
    expect(h.batchSteps).toBe(256);
    const id = await h.start(await h.pipeline({ name: 'chain', stages: [wait('1', 0), wait('2', 0, ['1']), wait('3', 0, ['2'])] }));
    await h.run();
    expect(await h.status(id)).toBe('SUCCEEDED');
    // startExecution, then the admission notice (sent only once the batch is committed).
    expect(h.handled.map((m) => m.type)).toEqual(['startExecution', 'notifyAdmission']);
  });
});
