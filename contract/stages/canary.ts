import { z } from 'zod';
import { artifactSpec } from '../operations.ts';
import { defineStage } from './common.ts';

/** Minutes as Kayenta writes them; fractions are fine (0.5 is 30 s), for short canaries and tests. */
const minutes = z.number().finite();

/** A week: the groups take production traffic all along, and the stage's timeout follows the lifetime. */
export const MAX_CANARY_LIFETIME_MINS = 7 * 24 * 60;
/** Most analyses one canary runs: each is a collect task, a judged interval row and a score in the outputs. */
export const MAX_CANARY_INTERVALS = 1000;

/** Why the lifetime holds too many analyses, or null when it holds few enough. */
function tooManyAnalyses(s: { lifetimeMins: number; analysisIntervalMins?: number | undefined }): string | null {
  const n = canaryIntervalCount(s);
  if (n <= MAX_CANARY_INTERVALS) return null;
  return `${s.lifetimeMins} minutes in intervals of ${s.analysisIntervalMins} minutes make ${n} analyses; at most ${MAX_CANARY_INTERVALS} are allowed (raise analysisIntervalMins to at least ${Math.ceil((s.lifetimeMins / MAX_CANARY_INTERVALS) * 1000) / 1000})`;
}

/**
 * How many analyses a lifetime holds: whole intervals only, at least one; an interval longer than
 * the lifetime is the lifetime (Kayenta's clamp). The small slack keeps binary fractions honest
 * (0.3 / 0.1 is 2.9999999999999996 in floating point, but means 3).
 */
export function canaryIntervalCount(s: { lifetimeMins: number; analysisIntervalMins?: number | undefined }): number {
  const interval = Math.min(s.analysisIntervalMins ?? s.lifetimeMins, s.lifetimeMins);
  return Math.max(1, Math.floor(s.lifetimeMins / interval + 1e-9));
}

/**
 * The agent's rule for `--prometheus-url` (`normalizePrometheusUrl`): http(s) only, and nothing a
 * pipeline should not carry or the agent would pass on to every query (credentials, query, fragment).
 */
const prometheusUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL (e.g. http://prometheus:9090)' })
  .max(2000)
  .refine(
    (raw) => {
      const url = new URL(raw);
      return !url.username && !url.password && !url.search && !url.hash && !/[?#]/.test(raw);
    },
    { error: 'must not have credentials, a query or a fragment' },
  );

export const canaryMetricsSource = z.discriminatedUnion('type', [
  /** The agent scrapes the baseline and canary instances itself (no Prometheus needed). */
  z.strictObject({ type: z.literal('builtin') }),
  /** PromQL against a Prometheus the agent reaches; `url` defaults to the agent's `--prometheus-url`. */
  z.strictObject({ type: z.literal('prometheus'), url: prometheusUrl.optional() }),
]);
export type CanaryMetricsSource = z.infer<typeof canaryMetricsSource>;

export const canary = defineStage({
  type: 'canary',
  label: 'Canary analysis',
  description: 'Deploys baseline and canary groups beside production, judges their metrics each interval, then destroys both.',
  runsOn: 'agent',
  // Refused at save, not only when the stage starts: the rule spans lifetime and interval.
  check: (stage) => {
    const message = tooManyAnalyses(stage as { lifetimeMins: number; analysisIntervalMins?: number });
    return message ? { field: 'analysisIntervalMins', message } : null;
  },
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
    lifetimeMins: minutes.positive().max(MAX_CANARY_LIFETIME_MINS, { error: `at most ${MAX_CANARY_LIFETIME_MINS} minutes (7 days)` }),
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

/**
 * The canary's fields with the rules that span them: at most {@link MAX_CANARY_INTERVALS}
 * analyses (a small interval in a long lifetime would queue thousands of collects).
 */
export const canarySettings = z.object(canary.fields).superRefine((s, ctx) => {
  const message = tooManyAnalyses(s);
  if (message) ctx.addIssue({ code: 'custom', path: ['analysisIntervalMins'], message });
});
export type CanarySettings = z.infer<typeof canarySettings>;
