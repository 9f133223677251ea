import { describe, expect, it } from 'vitest';
import { canaryConfig } from '../../contract/canary.ts';
import { validatePipelineConfig } from '../../contract/pipelines.ts';
import { DEMO_CANARY_CONFIG, demoCanaryConfig, demoCanaryPipelineConfig, demoDeployPipelineConfig, demoPipelineConfig } from './seed.mjs';

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

describe('demo canary', () => {
  it('has a valid canary config whose every metric reads examples/hello through the builtin source', () => {
    const parsed = canaryConfig.safeParse(demoCanaryConfig());
    expect(parsed.success).toBe(true);
    if (!parsed.success) return;
    expect(parsed.data.name).toBe(DEMO_CANARY_CONFIG);
    expect(parsed.data.metrics.map((m) => [m.name, m.query?.type, m.analysisConfigurations?.canary?.critical ?? false])).toEqual([
      ['error ratio', 'builtin', true],
      ['latency p99', 'builtin', false],
    ]);
  });

  it('is a valid pipeline: a canary of the deploy pipeline’s cluster, then a promotion only when it passes', () => {
    const result = validatePipelineConfig(demoCanaryPipelineConfig());
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    const [canary, promote] = result.value.stages as unknown as Record<string, any>[];
    expect([canary!.type, promote!.type, promote!.requisiteStageRefIds]).toEqual(['canary', 'deploy', ['1']]);
    expect(canary).toMatchObject({ name: 'Canary', canaryConfigName: DEMO_CANARY_CONFIG, cluster: 'demo-hello', continuePipeline: true, metricsSource: { type: 'builtin' } });
    // The canary runs the version the deploy pipeline would, into the cluster that pipeline deploys.
    const deployed = (demoDeployPipelineConfig().stages as Record<string, any>[])[0]!.clusters[0];
    expect(canary!.artifact).toEqual({ ...deployed.artifact });
    expect(promote!.clusters[0]).toMatchObject({ application: deployed.application, stack: deployed.stack, strategy: 'redblack' });
    expect(promote!.stageEnabled).toEqual({ type: 'expression', expression: "${stage('Canary').outputs.result == 'Pass'}" });
    // A short canary: two one-minute analyses at a 5 s step.
    expect([canary!.lifetimeMins, canary!.analysisIntervalMins, canary!.stepSec]).toEqual([2, 1, 5]);
  });
});
