import { describe, expect, it } from 'vitest';
import { checkStageGraph, validatePipelineConfig, type StageConfig } from './pipelines.ts';
import { stageTypes } from './stages/index.ts';

const wait = (refId: string, requisiteStageRefIds: string[] = [], extra: Record<string, unknown> = {}) => ({ refId, requisiteStageRefIds, type: 'wait', name: refId, waitTime: 1, ...extra });
const stages = (...s: unknown[]) => ({ name: 'p', stages: s });

/** The failure of a config that must not validate. */
function failure(config: unknown) {
  const r = validatePipelineConfig(config);
  if (r.ok) throw new Error('expected the config to be refused');
  return { field: r.field, message: r.message };
}

describe('validatePipelineConfig', () => {
  it('fills the defaults Spinnaker has for a pipeline and its stages', () => {
    const r = validatePipelineConfig({ name: 'p', stages: [{ refId: '1', type: 'manualJudgment', name: 'ok?' }] });
    expect(r).toEqual({
      ok: true,
      value: {
        name: 'p',
        disabled: false,
        stages: [{ refId: '1', type: 'manualJudgment', name: 'ok?', requisiteStageRefIds: [], judgmentInputs: [], selectedStageRoles: [] }],
        triggers: [],
        parameterConfig: [],
        notifications: [],
        expectedArtifacts: [],
        limitConcurrent: true,
        maxConcurrentExecutions: 0,
        keepWaitingPipelines: false,
      },
    });
  });

  it('drops the keys Spinnaker adds that the server owns', () => {
    const r = validatePipelineConfig({ name: 'p', id: 'x', application: 'app', index: 3, updateTs: 1, lastModifiedBy: 'me', schema: '1', spelEvaluator: 'v4', appConfig: {} });
    expect(r.ok && Object.keys(r.value).sort()).toEqual(['disabled', 'expectedArtifacts', 'keepWaitingPipelines', 'limitConcurrent', 'maxConcurrentExecutions', 'name', 'notifications', 'parameterConfig', 'stages', 'triggers']);
  });

  it('accepts a diamond: fan-out and join', () => {
    const r = validatePipelineConfig(stages(wait('a'), wait('b', ['a']), wait('c', ['a']), wait('d', ['b', 'c'])));
    expect(r.ok).toBe(true);
  });

  describe('stage graph', () => {
    it('names the cycle it finds, at the stage where it starts', () => {
      expect(failure(stages(wait('a'), wait('b', ['a', 'd']), wait('c', ['b']), wait('d', ['c'])))).toEqual({
        field: 'stages[1].requisiteStageRefIds',
        message: 'stages[1].requisiteStageRefIds: stages form a cycle: b → d → c → b',
      });
    });

    it('finds a two-stage cycle', () => {
      expect(failure(stages(wait('x', ['y']), wait('y', ['x']))).message).toBe('stages[0].requisiteStageRefIds: stages form a cycle: x → y → x');
    });

    it('refuses a stage that requires itself', () => {
      expect(failure(stages(wait('a', ['a'])))).toEqual({ field: 'stages[0].requisiteStageRefIds[0]', message: 'stages[0].requisiteStageRefIds[0]: stage "a" cannot require itself' });
    });

    it('refuses a requisite that does not exist, naming its index', () => {
      expect(failure(stages(wait('a'), wait('b', ['a', 'nope'])))).toEqual({
        field: 'stages[1].requisiteStageRefIds[1]',
        message: 'stages[1].requisiteStageRefIds[1]: requisite stage "nope" does not exist',
      });
    });

    it('refuses a duplicate refId, naming both stages', () => {
      expect(failure(stages(wait('a'), wait('b'), wait('a')))).toEqual({ field: 'stages[2].refId', message: 'stages[2].refId: duplicate refId "a" (also used by stages[0])' });
    });

    it('checks a graph directly too', () => {
      const s = [wait('a', ['b']), wait('b', ['a'])].map((x) => ({ ...x })) as StageConfig[];
      expect(checkStageGraph(s).ok).toBe(false);
      expect(checkStageGraph([]).ok).toBe(true);
    });
  });

  describe('stage types', () => {
    it('refuses an unknown type, listing every known type', () => {
      const { field, message } = failure(stages(wait('a'), { refId: 'b', type: 'bake', name: 'b' }));
      expect(field).toBe('stages[1].type');
      expect(message).toBe(`stages[1].type: unknown stage type "bake"; known types: ${stageTypes.map((s) => s.type).join(', ')}`);
      expect(message).toContain('wait, manualJudgment');
    });

    it('prefixes errors in a stage with stages[i].', () => {
      expect(failure(stages(wait('a'), { refId: 'b', type: 'webhook', name: 'w', url: 'https://x', method: 'TRACE' })).field).toBe('stages[1].method');
      expect(failure(stages({ refId: 'a', type: 'deploy', name: 'd', clusters: [{ account: 'a', location: 'l', application: 'x', capacity: { min: 1, max: 1 }, artifact: {} }] }))).toEqual({
        field: 'stages[0].clusters[0].capacity.desired',
        message: 'stages[0].clusters[0].capacity.desired: required (expected a number or a ${…} expression)',
      });
    });

    it('names an unknown field of a stage in full', () => {
      expect(failure(stages(wait('a', [], { colour: 'red' })))).toEqual({ field: 'stages[0].colour', message: 'unknown field "stages[0].colour"' });
    });

    it("refuses another stage type's field", () => {
      expect(failure(stages(wait('a', [], { url: 'https://x' }))).field).toBe('stages[0].url');
    });

    it('says a missing stage field is required', () => {
      expect(failure(stages({ refId: 'a', type: 'wait', name: 'w' }))).toEqual({ field: 'stages[0].waitTime', message: 'stages[0].waitTime: required (expected a number or a ${…} expression)' });
      expect(failure(stages({ refId: 'a', type: 'wait', waitTime: 1 }))).toEqual({ field: 'stages[0].name', message: 'stages[0].name: required (expected string)' });
    });

    it.each([['${ parameters.wait }'], ['${#toInt(trigger.payload.delay)}'], [30]])('takes %j where a number goes', (waitTime) => {
      expect(validatePipelineConfig(stages(wait('a', [], { waitTime }))).ok).toBe(true);
    });

    it.each([
      ['thirty', 'expected a number or a ${…} expression'],
      [true, 'expected a number or a ${…} expression'],
      [-1, 'Too small: expected number to be >=0'],
      [1.5, 'Invalid input: expected int, received number'],
    ])('refuses %j for a number', (waitTime, message) => {
      expect(failure(stages(wait('a', [], { waitTime })))).toEqual({ field: 'stages[0].waitTime', message: `stages[0].waitTime: ${message}` });
    });

    it('takes an expression for a capacity and a boolean-or-expression', () => {
      const cluster = { account: 'a', location: 'l', application: 'x', capacity: { min: 1, max: '${ max }', desired: 2 }, artifact: {} };
      expect(validatePipelineConfig(stages({ refId: 'a', type: 'deploy', name: 'd', clusters: [cluster] })).ok).toBe(true);
    });
  });

  describe('parameters', () => {
    it('refuses a default that is not one of the options', () => {
      expect(failure({ name: 'p', parameterConfig: [{ name: 'env', default: 'qa', hasOptions: true, options: [{ value: 'prod' }, { value: 'staging' }] }] })).toEqual({
        field: 'parameterConfig[0].default',
        message: 'parameterConfig[0].default: default "qa" is not one of the options',
      });
    });

    it('accepts a default among the options, an empty default, and options switched off', () => {
      const options = [{ value: 'prod' }];
      expect(validatePipelineConfig({ name: 'p', parameterConfig: [{ name: 'a', default: 'prod', options }] }).ok).toBe(true);
      expect(validatePipelineConfig({ name: 'p', parameterConfig: [{ name: 'a', default: '', options }] }).ok).toBe(true);
      expect(validatePipelineConfig({ name: 'p', parameterConfig: [{ name: 'a', default: 'qa', hasOptions: false, options }] }).ok).toBe(true);
    });

    it('refuses a parameter name used twice', () => {
      expect(failure({ name: 'p', parameterConfig: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] }).field).toBe('parameterConfig[2].name');
    });
  });

  describe('pipeline fields', () => {
    it.each([
      [{}, 'name', 'name: required (expected string)'],
      [{ name: '' }, 'name', 'name: Too small: expected string to have >=1 characters'],
      [{ name: 'p', stages: {} }, 'stages', 'stages: Invalid input: expected array, received object'],
      [{ name: 'p', disabled: 'no' }, 'disabled', 'disabled: Invalid input: expected boolean, received string'],
      [{ name: 'p', owner: 'me' }, 'owner', 'unknown field "owner"'],
      [{ name: 'p', triggers: [{ type: 'git' }] }, 'triggers[0].type', undefined],
      [{ name: 'p', triggers: [{ type: 'cron', cronExpression: '0 0 * * *', every: 1 }] }, 'triggers[0].every', 'unknown field "triggers[0].every"'],
      [{ name: 'p', notifications: [{ type: 'slack', address: '#ops', when: ['pipeline.exploded'] }] }, 'notifications[0].when[0]', undefined],
    ])('refuses %j at %s', (config, field, message) => {
      const f = failure(config);
      expect(f.field).toBe(field);
      if (message) expect(f.message).toBe(message);
      else expect(f.message.startsWith(`${field}: `)).toBe(true);
    });

    it('refuses a document that is not an object', () => {
      expect(failure(['p'])).toEqual({ field: '', message: 'Invalid input: expected object, received array' });
    });
  });
});
