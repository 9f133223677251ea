import { describe, expect, it } from 'vitest';
import { validatePipelineConfig } from '../../contract/pipelines.ts';
import { demoPipelineConfig } from './seed.mjs';

describe('demo pipeline', () => {
  it('is a valid pipeline: a wait, then a manual judgment that depends on it', () => {
    const result = validatePipelineConfig(demoPipelineConfig());
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.value.stages.map((s) => [s.type, s.requisiteStageRefIds])).toEqual([
      ['wait', []],
      ['manualJudgment', ['1']],
    ]);
  });
});
