import { describe, expect, it } from 'vitest';
import { validatePipelineConfig } from '../../contract/pipelines.ts';
import { demoDeployPipelineConfig, demoPipelineConfig } from './seed.mjs';

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

describe('demo deploy pipeline', () => {
  it('is a valid pipeline: a red/black deploy of examples/hello on the local account, then a judgment', () => {
    const result = validatePipelineConfig(demoDeployPipelineConfig());
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.value.stages.map((s) => [s.type, s.requisiteStageRefIds])).toEqual([
      ['deploy', []],
      ['manualJudgment', ['1']],
    ]);
    const cluster = (result.value.stages[0] as unknown as { clusters: Record<string, unknown>[] }).clusters[0]!;
    expect(cluster).toMatchObject({ account: 'local', strategy: 'redblack', artifact: { type: 'process', args: ['examples/hello/server.mjs'] } });
  });
});
