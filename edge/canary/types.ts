/** Shapes the canary judge works with; `contract/canary.ts` validates the same shapes at the API edge. */

export type Label = 'Pass' | 'High' | 'Low' | 'Nodata' | 'NodataFailMetric';
export type Direction = 'increase' | 'decrease' | 'either';
export type NanStrategy = 'remove' | 'replace';
export type EffectSizeMeasure = 'meanRatio' | 'cles';
export type Verdict = 'Pass' | 'Marginal' | 'Fail';

/** One metric's `analysisConfigurations.canary`, every field optional as in Kayenta. */
export interface CanaryAnalysisConfig {
  direction?: Direction;
  nanStrategy?: NanStrategy;
  critical?: boolean;
  mustHaveData?: boolean;
  muted?: boolean;
  effectSize?: {
    measure?: EffectSizeMeasure;
    allowedIncrease?: number;
    allowedDecrease?: number;
    criticalIncrease?: number;
    criticalDecrease?: number;
  };
  outliers?: { strategy?: 'remove' | 'keep'; outlierFactor?: number };
}

export interface CanaryMetricConfig {
  name: string;
  groups: string[];
  analysisConfigurations?: { canary?: CanaryAnalysisConfig };
}

export interface CanaryConfig {
  metrics: CanaryMetricConfig[];
  classifier?: { groupWeights?: Record<string, number>; scoreThresholds?: { pass?: number; marginal?: number } };
}

/** Raw samples per metric name: control = baseline, experiment = canary. */
export type MetricsData = Record<string, { control: number[]; experiment: number[] }>;

export interface MetricResult {
  name: string;
  groups: string[];
  label: Label;
  critical: boolean;
  muted: boolean;
  ciLower: number | null;
  ciUpper: number | null;
  estimate: number | null;
  controlMean: number | null;
  experimentMean: number | null;
  effectSize: number | null;
  reason: string | null;
}

export interface GroupScore {
  name: string;
  score: number;
  noData: boolean;
  weight: number;
}

export interface JudgeResult {
  metrics: MetricResult[];
  groups: GroupScore[];
  summaryScore: number;
  result: Verdict;
  /** Why the summary was forced to 0, when it was. */
  reason: string | null;
}
