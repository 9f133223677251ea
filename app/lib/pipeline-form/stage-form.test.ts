import { describe, expect, it } from 'vitest';
import type { StageTypeInfo } from '../stage-types.ts';
import { sharedKeys, stageFormOf } from './stage-form.ts';

const type = (name: string, own: Record<string, object>): StageTypeInfo => ({
  type: name,
  label: name,
  description: '',
  runsOn: 'edge',
  schema: {
    type: 'object',
    required: ['refId', 'type', 'name'],
    properties: { refId: { type: 'string' }, type: { type: 'string' }, name: { type: 'string' }, stageTimeoutMs: { type: 'integer' }, sendNotifications: { type: 'boolean' }, ...own },
  },
});
const wait = type('wait', { waitTime: { type: 'integer' } });
const judgment = type('manualJudgment', { instructions: { type: 'string' } });

describe('sharedKeys', () => {
  it('learns the options every stage shares from the catalogue', () => {
    expect([...sharedKeys([wait, judgment])]).toEqual(['refId', 'type', 'name', 'stageTimeoutMs', 'sendNotifications']);
    expect(sharedKeys([])).toEqual(new Set());
  });
});

describe('stageFormOf', () => {
  it('splits the generated fields into the type’s own and the shared ones the common section lacks', () => {
    const form = stageFormOf(wait, sharedKeys([wait, judgment]))!;
    expect(form.own.map((f) => f.key)).toEqual(['waitTime']);
    expect(form.advanced.map((f) => f.key)).toEqual(['sendNotifications']);
  });
  it('treats every field as the type’s own when the catalogue has one type', () => {
    expect(stageFormOf(wait, sharedKeys([wait]))!.own.map((f) => f.key)).toEqual(['sendNotifications', 'waitTime']);
  });
  it('has no form for a type the catalogue lacks', () => {
    expect(stageFormOf(undefined, new Set())).toBeNull();
  });
});
