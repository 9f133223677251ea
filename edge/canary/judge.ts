/**
 * The canary judge (Kayenta's NetflixACAJudge): per metric NaN handling, outlier removal and
 * Mann-Whitney classification, then weighted group scoring. A pure function of its input.
 */
import { classifySorted, meanOrNull, type ClassifierParams } from './classifier.ts';
import { handleNaNs } from './nan.ts';
import { removeOutliersSorted } from './outliers.ts';
import { score, verdict } from './scorer.ts';
import type { CanaryAnalysisConfig, CanaryConfig, JudgeResult, MetricResult, MetricsData } from './types.ts';

/** NetflixACAJudge's fixed classifier settings. */
export const JUDGE_TOLERANCE = 0.25;
export const JUDGE_CONF_LEVEL = 0.98;
export const DEFAULT_PASS = 75;
export const DEFAULT_MARGINAL = 50;
export const DEFAULT_OUTLIER_FACTOR = 3;

/** A metric's classifier settings with Kayenta's defaults filled in. */
export function classifierParams(c: CanaryAnalysisConfig = {}): ClassifierParams {
  const measure = c.effectSize?.measure ?? 'meanRatio';
  const defaultEffect = measure === 'cles' ? 0.5 : 1.0;
  const e = c.effectSize ?? {};
  return {
    tolerance: JUDGE_TOLERANCE,
    confLevel: JUDGE_CONF_LEVEL,
    direction: c.direction ?? 'either',
    nanStrategy: c.nanStrategy ?? 'remove',
    critical: c.critical ?? false,
    mustHaveData: c.mustHaveData ?? false,
    measure,
    allowedIncrease: e.allowedIncrease ?? defaultEffect,
    allowedDecrease: e.allowedDecrease ?? defaultEffect,
    criticalIncrease: e.criticalIncrease ?? defaultEffect,
    criticalDecrease: e.criticalDecrease ?? defaultEffect,
  };
}

/** Prepares one side: NaN strategy, one sort, then outlier removal when configured. */
function prepare(values: readonly number[], c: CanaryAnalysisConfig, p: ClassifierParams): Float64Array {
  const sorted = Float64Array.from(handleNaNs(values, p.nanStrategy)).sort();
  return c.outliers?.strategy === 'remove' ? removeOutliersSorted(sorted, c.outliers.outlierFactor ?? DEFAULT_OUTLIER_FACTOR) : sorted;
}

/** Judges one run: classifies every configured metric and scores the groups. Metrics missing from `data` have no data. */
export function judge(config: CanaryConfig, data: MetricsData): JudgeResult {
  const metrics: MetricResult[] = config.metrics.map((m) => {
    const c = m.analysisConfigurations?.canary ?? {};
    const p = classifierParams(c);
    const control = prepare(data[m.name]?.control ?? [], c, p);
    const experiment = prepare(data[m.name]?.experiment ?? [], c, p);
    const k = classifySorted(m.name, control, experiment, p);
    return {
      name: m.name,
      groups: m.groups,
      muted: c.muted ?? false,
      ...k,
      controlMean: meanOrNull(control),
      experimentMean: meanOrNull(experiment),
    };
  });
  const s = score(metrics, config.classifier?.groupWeights ?? {});
  const t = config.classifier?.scoreThresholds ?? {};
  return { metrics, groups: s.groups, summaryScore: s.summaryScore, result: verdict(s.summaryScore, t.pass ?? DEFAULT_PASS, t.marginal ?? DEFAULT_MARGINAL), reason: s.reason };
}
