/** Canary config (Kayenta's shape, the parts the judge reads) and the judge API's request and response. */
import { z } from 'zod';

export const direction = z.enum(['increase', 'decrease', 'either']);
const nonNegative = z.number().finite().min(0);

export const canaryAnalysisConfig = z.object({
  direction: direction.optional(),
  nanStrategy: z.enum(['remove', 'replace']).optional(),
  critical: z.boolean().optional(),
  mustHaveData: z.boolean().optional(),
  muted: z.boolean().optional(),
  effectSize: z.object({
    measure: z.enum(['meanRatio', 'cles']).optional(),
    allowedIncrease: nonNegative.optional(),
    allowedDecrease: nonNegative.optional(),
    criticalIncrease: nonNegative.optional(),
    criticalDecrease: nonNegative.optional(),
  }).optional(),
  outliers: z.object({ strategy: z.enum(['remove', 'keep']).optional(), outlierFactor: z.number().finite().positive().optional() }).optional(),
});

export const canaryMetricConfig = z.object({
  name: z.string().min(1).max(200),
  groups: z.array(z.string().min(1).max(200)).min(1).max(50),
  analysisConfigurations: z.object({ canary: canaryAnalysisConfig.optional() }).optional(),
});

export const canaryClassifier = z.object({
  groupWeights: z.record(z.string(), nonNegative).default({})
    .refine((w) => Object.values(w).reduce((s, v) => s + v, 0) <= 100, 'group weights must sum to at most 100'),
  scoreThresholds: z.object({ pass: z.number().min(0).max(100).default(75), marginal: z.number().min(0).max(100).default(50) })
    .refine((t) => t.marginal <= t.pass, { message: 'marginal must not exceed pass', path: ['marginal'] })
    .default({ pass: 75, marginal: 50 }),
});

export const canaryConfig = z.object({
  name: z.string().max(200).optional(),
  metrics: z.array(canaryMetricConfig).min(1).max(500)
    .refine((ms) => new Set(ms.map((m) => m.name)).size === ms.length, 'metric names must be unique'),
  classifier: canaryClassifier.default({ groupWeights: {}, scoreThresholds: { pass: 75, marginal: 50 } }),
});
export type CanaryConfigInput = z.input<typeof canaryConfig>;

/** A sample value; JSON has no NaN, so null stands for a missing (NaN) point. */
const sample = z.number().finite().nullable();
export const metricSamples = z.object({ control: z.array(sample), experiment: z.array(sample) });

export const judgeRequest = z.object({ config: canaryConfig, data: z.record(z.string(), metricSamples) });
export type JudgeRequest = z.input<typeof judgeRequest>;

export const metricLabel = z.enum(['Pass', 'High', 'Low', 'Nodata', 'NodataFailMetric']);
export const judgeResponse = z.object({
  metrics: z.array(z.object({
    name: z.string(), groups: z.array(z.string()), label: metricLabel, critical: z.boolean(), muted: z.boolean(),
    ciLower: z.number().nullable(), ciUpper: z.number().nullable(), estimate: z.number().nullable(),
    controlMean: z.number().nullable(), experimentMean: z.number().nullable(), effectSize: z.number().nullable(),
    reason: z.string().nullable(),
  })),
  groups: z.array(z.object({ name: z.string(), score: z.number(), noData: z.boolean(), weight: z.number() })),
  summaryScore: z.number(),
  result: z.enum(['Pass', 'Marginal', 'Fail']),
  reason: z.string().nullable(),
});
