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

const promMetricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'expected a Prometheus metric name');

/**
 * PromQL run with `query_range` at the canary's step. `${scope}` becomes the server group name and
 * `${location}` its location, e.g. `sum(rate(http_request_errors_total{server_group="${scope}"}[30s]))`.
 * The query should aggregate to one series per scope (Kayenta's convention); more are summed.
 */
export const prometheusMetricQuery = z.strictObject({
  type: z.literal('prometheus'),
  query: z.string().min(1).max(4000),
});

/**
 * What the agent computes itself from each instance's `/metrics` (no Prometheus needed), one value
 * per step summed over the scope's instances: `rate` — per-second increase of a counter; `gauge` —
 * the mean of a gauge; `ratio` — increase of `metric` over increase of `denominator` (error rate);
 * `quantile` — a quantile of a histogram's bucket increases (latency p99).
 */
export const builtinMetricQuery = z.strictObject({
  type: z.literal('builtin'),
  metric: promMetricName,
  aggregation: z.enum(['rate', 'gauge', 'ratio', 'quantile']),
  denominator: promMetricName.optional(),
  quantile: z.number().gt(0).lt(1).optional(),
  /** Only series whose labels equal these. */
  labels: z.record(z.string(), z.string().max(200)).default({}),
}).superRefine((q, ctx) => {
  if (q.aggregation === 'ratio' && !q.denominator) ctx.addIssue({ code: 'custom', path: ['denominator'], message: 'a ratio needs a denominator metric' });
  if (q.aggregation === 'quantile' && q.quantile === undefined) ctx.addIssue({ code: 'custom', path: ['quantile'], message: 'a quantile aggregation needs a quantile between 0 and 1' });
});

export const metricQuery = z.discriminatedUnion('type', [prometheusMetricQuery, builtinMetricQuery]);
export type MetricQuery = z.infer<typeof metricQuery>;
export type MetricSourceType = MetricQuery['type'];

export const canaryMetricConfig = z.object({
  name: z.string().min(1).max(200),
  /** Where the values come from; the judge API does not need it, the canary stage does. */
  query: metricQuery.optional(),
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

/** One scope's values for one metric: a point per step from `startMs`; null is a step with no value (NaN). */
export const metricSeries = z.strictObject({
  startMs: z.number().int(),
  stepSec: z.number().int().positive(),
  values: z.array(z.number().finite().nullable()).max(100_000),
});
export type MetricSeries = z.infer<typeof metricSeries>;

/** What a `collectMetrics` task reports in `result.details.metrics`: per metric name, control and experiment. */
export const collectedMetrics = z.record(z.string(), z.strictObject({ control: metricSeries, experiment: metricSeries }));
export type CollectedMetrics = z.infer<typeof collectedMetrics>;
