import { describe, expect, it } from 'vitest';
import type { StageTypeInfo } from '../stage-types.ts';
import { controlId, isAt, locateField, type FormLocation, type FormShape } from './locate.ts';
import { pipelineFields } from './settings.ts';
import { commonControls, stageFormOf } from './stage-form.ts';

const orNumber = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '\\$\\{' }] };
const deploy: StageTypeInfo = {
  type: 'deploy',
  label: 'Deploy',
  description: '',
  runsOn: 'agent',
  schema: {
    type: 'object',
    required: ['refId', 'type', 'name', 'clusters'],
    properties: {
      refId: { type: 'string' },
      name: { type: 'string' },
      stageEnabled: { type: 'object', properties: { type: { const: 'expression' }, expression: { type: 'string' } } },
      clusters: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['account', 'capacity', 'artifact'],
          properties: {
            account: { type: 'string' },
            capacity: { type: 'object', properties: { min: orNumber, max: orNumber, desired: orNumber } },
            artifact: { type: 'object', additionalProperties: {} },
          },
        },
      },
    },
  },
};
const form = stageFormOf(deploy, new Set())!;
const shape: FormShape = { stageFields: (i) => (i === 2 ? [...form.own, ...form.advanced] : null), common: commonControls, pipelineFields };

describe('locateField', () => {
  it('finds a nested stage field drawn by the form', () => {
    expect(locateField('stages[2].clusters[0].capacity.desired', shape)).toEqual({ area: 'stage', index: 2, control: ['clusters', 0, 'capacity', 'desired'] });
  });
  it('stops at the control holding a value that has none of its own', () => {
    // `artifact` is a JSON sub-editor: its inner keys are inside that one control.
    expect(locateField('stages[2].clusters[0].artifact.args[1]', shape)).toEqual({ area: 'stage', index: 2, control: ['clusters', 0, 'artifact'] });
    expect(locateField('stages[2].clusters[0].bogus', shape)).toEqual({ area: 'stage', index: 2, control: ['clusters', 0] });
  });
  it('sends shared stage options to the common section’s controls', () => {
    expect(locateField('stages[2].requisiteStageRefIds[0]', shape)).toEqual({ area: 'stage', index: 2, control: ['requisiteStageRefIds'] });
    expect(locateField('stages[2].continuePipeline', shape)).toEqual({ area: 'stage', index: 2, control: ['failureMode'] });
    expect(locateField('stages[2].stageEnabled.expression', shape)).toEqual({ area: 'stage', index: 2, control: ['stageEnabled'] });
  });
  it('names the stage alone when the error is about the whole stage or its type is unknown', () => {
    expect(locateField('stages[0]', shape)).toEqual({ area: 'stage', index: 0, control: [] });
    expect(locateField('stages[5].waitTime', shape)).toEqual({ area: 'stage', index: 5, control: [] });
  });
  it('finds pipeline-level fields in their sections', () => {
    expect(locateField('parameterConfig[1].default', shape)).toEqual({ area: 'pipeline', control: ['parameterConfig', 1, 'default'] });
    expect(locateField('parameterConfig[0].options[2].value', shape)).toEqual({ area: 'pipeline', control: ['parameterConfig', 0, 'options'] });
    expect(locateField('triggers[0].cronExpression', shape)).toEqual({ area: 'pipeline', control: ['triggers', 0, 'cronExpression'] });
    expect(locateField('notifications[0].when[1]', shape)).toEqual({ area: 'pipeline', control: ['notifications', 0, 'when'] });
    expect(locateField('maxConcurrentExecutions', shape)).toEqual({ area: 'pipeline', control: ['maxConcurrentExecutions'] });
    expect(locateField('expectedArtifacts[0]', shape)).toEqual({ area: 'pipeline', control: [] });
  });
  it('gives up on a path it cannot read', () => {
    expect(locateField('stages[', shape)).toBeNull();
  });
});

describe('controlId', () => {
  it('is one id per control, safe for the DOM', () => {
    expect(controlId({ area: 'stage', index: 2, control: ['clusters', 0, 'capacity', 'desired'] })).toBe('pf-stage2-clusters-0-capacity-desired');
    expect(controlId({ area: 'pipeline', control: ['parameterConfig', 1, 'my.key'] })).toBe('pf-pipeline-parameterConfig-1-my_key');
  });
});

describe('isAt', () => {
  it('matches the same control in the same stage only', () => {
    const at: FormLocation = { area: 'stage', index: 1, control: ['waitTime'] };
    expect(isAt(at, 'stage', ['waitTime'], 1)).toBe(true);
    expect(isAt(at, 'stage', ['waitTime'], 2)).toBe(false);
    expect(isAt(at, 'pipeline', ['waitTime'])).toBe(false);
    expect(isAt(null, 'stage', ['waitTime'], 1)).toBe(false);
  });
});
