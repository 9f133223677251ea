import { describe, expect, it } from 'vitest';
import { failureModeOf, insertStage, nextRefId, refIdError, removeStage, renameRefId, requisiteChoices, stagesOf, withFailureMode, type EditStage } from './stages.ts';

const s = (refId: string, ...requisiteStageRefIds: string[]): EditStage => ({ refId, requisiteStageRefIds, type: 'wait', name: `S${refId}` });
const graph = (stages: EditStage[]) => stages.map((x) => `${x.refId}<${x.requisiteStageRefIds.join(',')}`);

describe('stagesOf', () => {
  it('reads stages as written and fills what the graph needs', () => {
    expect(stagesOf({ stages: [{ refId: '1', type: 'wait', name: 'Bake', waitTime: 5 }, { type: 'wait' }] })).toEqual([
      { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Bake', waitTime: 5 },
      { refId: '#2', requisiteStageRefIds: [], type: 'wait', name: '' },
    ]);
    expect(stagesOf(null)).toEqual([]);
  });
});

describe('nextRefId', () => {
  it('numbers after the highest numeric refId, skipping taken ones', () => {
    expect(nextRefId([s('1'), s('deploy'), s('7')])).toBe('8');
    expect(nextRefId([])).toBe('1');
    expect(nextRefId([s('a'), s('2')])).toBe('3');
  });
});

describe('insertStage', () => {
  const chain = [s('1'), s('2', '1'), s('3', '2')];
  it('inserts after a stage: the new one waits for it and its dependents wait for the new one', () => {
    const r = insertStage(chain, 0, s('4'), 'after');
    expect(graph(r.stages)).toEqual(['1<', '4<1', '2<4', '3<2']);
    expect(r.index).toBe(1);
  });
  it('adds a parallel stage with the same requisites', () => {
    const r = insertStage(chain, 1, s('4'), 'parallel');
    expect(graph(r.stages)).toEqual(['1<', '2<1', '3<2', '4<1']);
    expect(r.index).toBe(3);
  });
  it('starts an empty pipeline with a root stage', () => {
    expect(graph(insertStage([], 0, s('1', 'x'), 'after').stages)).toEqual(['1<']);
  });
});

describe('removeStage', () => {
  it('keeps the chain: dependents inherit the removed stage’s requisites', () => {
    expect(graph(removeStage([s('1'), s('2', '1'), s('3', '2'), s('4', '2', '1')], 1))).toEqual(['1<', '3<1', '4<1']);
  });
});

describe('renameRefId', () => {
  it('renames the stage and every requisite naming it', () => {
    expect(graph(renameRefId([s('1'), s('2', '1')], 0, 'bake'))).toEqual(['bake<', '2<bake']);
  });

  it('refuses an ID another stage has, leaving the graph as it was', () => {
    // 1 → 2 and 3 → 4: renaming 3 to "1" would make 4 wait for the first stage too.
    const stages = [s('1'), s('2', '1'), s('3'), s('4', '3')];
    expect(graph(renameRefId(stages, 2, '1'))).toEqual(['1<', '2<1', '3<', '4<3']);
    // Had it been taken, renaming it back would have taken 2 along as well.
    expect(graph(renameRefId(renameRefId(stages, 2, '1'), 2, '3'))).toEqual(graph(stages));
  });

  it('refuses an empty ID and keeps a rename to the same ID harmless', () => {
    const stages = [s('1'), s('2', '1')];
    expect(graph(renameRefId(stages, 0, ''))).toEqual(['1<', '2<1']);
    expect(graph(renameRefId(stages, 0, '1'))).toEqual(['1<', '2<1']);
  });
});

describe('refIdError', () => {
  const stages = [s('1'), { ...s('2', '1'), name: 'Deploy' }, { ...s('3'), name: '' }];
  it.each([
    [0, 'bake', undefined],
    [0, '1', undefined],
    [0, '2', '"2" is the ID of stage “Deploy”: choose another'],
    [0, '3', '"3" is the ID of stage Unnamed: choose another'],
    [1, '', 'required: other stages name this stage by it'],
    [1, '  ', 'required: other stages name this stage by it'],
  ])('stage %i as %j: %s', (index, refId, error) => expect(refIdError(stages, index, refId)).toBe(error));
});

describe('requisiteChoices', () => {
  it('offers every other stage and refuses those downstream, which would close a cycle', () => {
    // 1 → 2 → 3, and 4 alone: stage 2 may wait for 1 or 4, not for 3.
    const choices = requisiteChoices([s('1'), s('2', '1'), s('3', '2'), s('4')], 1);
    expect(choices.map((c) => [c.refId, c.checked, c.cycle])).toEqual([['1', true, false], ['3', false, true], ['4', false, false]]);
  });
  it('lets a requisite that is part of a cycle be unchecked', () => {
    const choices = requisiteChoices([s('1', '2'), s('2', '1')], 0);
    expect(choices).toEqual([{ refId: '2', name: 'S2', checked: true, cycle: false }]);
  });
});

describe('failure modes', () => {
  it('reads Orca’s flags, halting the pipeline by default', () => {
    expect(failureModeOf({})).toBe('haltPipeline');
    expect(failureModeOf({ failPipeline: false })).toBe('haltBranch');
    expect(failureModeOf({ failPipeline: false, completeOtherBranchesThenFail: true })).toBe('haltBranchThenFail');
    expect(failureModeOf({ failPipeline: false, continuePipeline: true })).toBe('ignore');
  });
  it('writes only the flags a mode needs', () => {
    const stage = { name: 'x', failPipeline: false, continuePipeline: true };
    expect(withFailureMode(stage, 'haltPipeline')).toEqual({ name: 'x' });
    expect(withFailureMode(stage, 'haltBranchThenFail')).toEqual({ name: 'x', failPipeline: false, completeOtherBranchesThenFail: true });
    expect(withFailureMode({ name: 'x' }, 'ignore')).toEqual({ name: 'x', failPipeline: false, continuePipeline: true });
    for (const mode of ['haltPipeline', 'haltBranch', 'haltBranchThenFail', 'ignore'] as const) expect(failureModeOf(withFailureMode(stage, mode))).toBe(mode);
  });
});
