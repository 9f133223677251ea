/**
 * The deploy stage's config as the pipeline save API checks it (`validatePipelineConfig`):
 * rolling red/black percentages must rise strictly within 1..100.
 */
import { describe, expect, it } from 'vitest';
import { validatePipelineConfig } from '../pipelines.ts';

const pipeline = (targetPercentages: unknown) => ({
  name: 'rolling',
  stages: [{
    refId: '1', type: 'deploy', name: 'Deploy',
    clusters: [{ account: 'a', location: 'l', application: 'hello', strategy: 'rollingredblack', capacity: { min: 1, max: 4, desired: 4 }, artifact: { type: 'process', command: 'node' }, targetPercentages }],
  }],
});

describe('deploy: targetPercentages', () => {
  it.each([[[25, 50, 100]], [[1]], [[100]], [[10, 60]], [[]]])('takes %j', (ps) => {
    expect(validatePipelineConfig(pipeline(ps))).toMatchObject({ ok: true });
  });

  it.each([
    { rule: 'a step lower than the one before', ps: [50, 25], at: 1, message: 'expected more than 50 (the step before): percentages must rise strictly, without repeats' },
    { rule: 'a repeated step', ps: [25, 50, 50, 100], at: 2, message: 'expected more than 50 (the step before): percentages must rise strictly, without repeats' },
    { rule: 'only the first step out of order is named', ps: [10, 5, 1], at: 1, message: 'expected more than 10 (the step before): percentages must rise strictly, without repeats' },
    { rule: '0 %', ps: [0, 50], at: 0, message: 'Too small: expected number to be >=1' },
    { rule: 'above 100 %', ps: [50, 150], at: 1, message: 'Too big: expected number to be <=100' },
    { rule: 'a fraction', ps: [12.5], at: 0, message: 'Invalid input: expected int, received number' },
  ])('refuses $rule ($ps), naming the step', ({ ps, at, message }) => {
    const field = `stages[0].clusters[0].targetPercentages[${at}]`;
    expect(validatePipelineConfig(pipeline(ps))).toEqual({ ok: false, field, message: `${field}: ${message}` });
  });
});
