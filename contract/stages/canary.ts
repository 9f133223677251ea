import { z } from 'zod';
import { artifactSpec } from '../operations.ts';
import { defineStage } from './common.ts';

/** Minutes as Kayenta writes them; fractions are fine (0.5 is 30 s), for short canaries and tests. */
const minutes = z.number().finite();

export const canaryMetricsSource = z.discriminatedUnion('type', [
  /** The agent scrapes the baseline and canary instances itself (no Prometheus needed). */
  z.strictObject({ type: z.literal('builtin') }),
  /** PromQL against a Prometheus the agent reaches; `url` defaults to the agent's `--prometheus-url`. */
  z.strictObject({ type: z.literal('prometheus'), url: z.url().max(2000).optional() }),
]);
export type CanaryMetricsSource = z.infer<typeof canaryMetricsSource>;

export const canary = defineStage({
  type: 'canary',
  label: 'Canary analysis',
  description: 'Deploys baseline and canary groups beside production, judges their metrics each interval, then destroys both.',
  runsOn: 'agent',
  fields: {
    /** A stored canary config of the pipeline's application. */
    canaryConfigName: z.string().min(1).max(200),
    /** That config's saved version; the newest when absent. */
    canaryConfigVersion: z.number().int().min(1).optional(),
    account: z.string().min(1).max(64),
    location: z.string().min(1).max(64),
    /** The production cluster (`app-stack-detail`): its load balancers take the canary's traffic. */
    cluster: z.string().min(1).max(200),
    /** What the canary group runs (the new version). */
    artifact: artifactSpec,
    /** What the baseline group runs; default: the artifact of the cluster's newest enabled server group. */
    baselineArtifact: artifactSpec.optional(),
    /** Instances in each of the baseline and canary groups. */
    instances: z.number().int().min(1).max(100).default(1),
    lifetimeMins: minutes.positive(),
    /** Default: the lifetime (one analysis at the end). */
    analysisIntervalMins: minutes.positive().optional(),
    /** Warm-up: analysis windows start this long after both groups are healthy. */
    beginCanaryAnalysisAfterMins: minutes.min(0).default(0),
    /** The baseline's window is the canary's shifted back by this much. */
    baselineAnalysisOffsetInMins: minutes.min(0).default(0),
    /** When > 0, each analysis covers only the last `lookbackMins` before its end (else all since the warm-up). */
    lookbackMins: minutes.min(0).default(0),
    stepSec: z.number().int().min(1).max(3600).default(10),
    /** Default: the canary config's classifier thresholds. */
    scoreThresholds: z
      .strictObject({ pass: z.number().min(0).max(100), marginal: z.number().min(0).max(100) })
      .refine((t) => t.marginal <= t.pass, { message: 'marginal must not exceed pass', path: ['marginal'] })
      .optional(),
    metricsSource: canaryMetricsSource.default({ type: 'builtin' }),
    healthCheckPath: z.string().max(500).optional(),
    healthCheckTimeoutSec: z.number().int().min(1).max(3600).optional(),
  },
});
