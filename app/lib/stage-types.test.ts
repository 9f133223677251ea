import { describe, expect, it } from 'vitest';
import { newStage, placeholder, type StageTypeInfo } from './stage-types.ts';

const wait: StageTypeInfo = {
  type: 'wait',
  label: 'Wait',
  description: '',
  runsOn: 'edge',
  schema: {
    type: 'object',
    required: ['refId', 'type', 'name', 'waitTime'],
    properties: { waitTime: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string' }] }, skipWaitText: { type: 'string' } },
  },
};

describe('newStage', () => {
  it('follows the last stage with the next numeric refId and blank required fields only', () => {
    expect(newStage(wait, [{ refId: '1' }, { refId: '7' }])).toEqual({
      refId: '8',
      requisiteStageRefIds: ['7'],
      type: 'wait',
      name: 'Wait',
      waitTime: 0,
    });
  });
  it('starts a pipeline with refId 1 and no requisites', () => {
    expect(newStage(wait, [])).toMatchObject({ refId: '1', requisiteStageRefIds: [] });
  });
});

describe('placeholder', () => {
  it('fills nested required objects and non-empty arrays', () => {
    expect(
      placeholder({
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['account', 'capacity', 'strategy'],
          properties: {
            account: { type: 'string' },
            strategy: { type: 'string', enum: ['redblack', 'none'], default: 'none' },
            capacity: { type: 'object', required: ['min'], properties: { min: { type: 'integer', minimum: 0 } } },
          },
        },
      }),
    ).toEqual([{ account: '', capacity: { min: 0 }, strategy: 'none' }]);
  });
});
