/**
 * One metric's classification (Kayenta's MannWhitneyClassifier): empty-side and degenerate
 * checks, then the Mann-Whitney interval against a tolerance band around the estimate, gated by
 * an effect size. Input is already NaN-handled and outlier-filtered.
 */
import { mannWhitneySorted } from './mann-whitney.ts';
import { addGaussianNoise } from './noise.ts';
import { clesSorted, mean, meanRatio } from './statistics.ts';
import type { Direction, EffectSizeMeasure, Label, NanStrategy } from './types.ts';

export interface ClassifierParams {
  /** Fraction of |estimate| the interval must clear (the judge uses 0.25). */
  tolerance: number;
  /** Interval confidence (the judge uses 0.98). */
  confLevel: number;
  direction: Direction;
  nanStrategy: NanStrategy;
  critical: boolean;
  mustHaveData: boolean;
  measure: EffectSizeMeasure;
  allowedIncrease: number;
  allowedDecrease: number;
  criticalIncrease: number;
  criticalDecrease: number;
}

export interface Classification {
  label: Label;
  critical: boolean;
  ciLower: number | null;
  ciUpper: number | null;
  estimate: number | null;
  effectSize: number | null;
  reason: string | null;
}

const NOISE_SEED_EXPERIMENT = 0x5eed1;
const NOISE_SEED_CONTROL = 0x5eed2;

const plain = (label: Label, reason: string | null, critical = false, effectSize: number | null = null): Classification =>
  ({ label, critical, ciLower: null, ciUpper: null, estimate: null, effectSize, reason });

function sameSorted(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Kayenta jitters a single-valued side (stdev = value · 1e-5, so none for 0) when both sides are single-valued. */
function jitter(values: Float64Array, seed: number): Float64Array {
  const v = values[0]!;
  return Float64Array.from(addGaussianNoise(Array.from(values), 0, Math.abs(v) * 1e-5, seed)).sort();
}

/** Classifies one metric; `control` is the baseline, `experiment` the canary. */
export const classify = (name: string, control: readonly number[], experiment: readonly number[], p: ClassifierParams): Classification =>
  classifySorted(name, Float64Array.from(control).sort(), Float64Array.from(experiment).sort(), p);

/** `classify` on ascending samples without NaN (the judge sorts each side once). */
export function classifySorted(name: string, control: Float64Array, experiment: Float64Array, p: ClassifierParams): Classification {
  if (experiment.length === 0 || control.length === 0) {
    // With NaNs replaced by 0 an empty side means the metric reported nothing at all: not a failure.
    if (p.nanStrategy === 'replace') return plain('Pass', null);
    const reason = `Missing data for ${name}`;
    if (p.mustHaveData && !p.critical) return plain('NodataFailMetric', reason);
    return plain('Nodata', reason, p.critical);
  }
  let x = experiment;
  let y = control;
  if (sameSorted(x, y)) return plain('Pass', 'The canary and baseline data are identical', false, 1);
  const xSingle = x[0] === x[x.length - 1];
  const ySingle = y[0] === y[y.length - 1];
  if (xSingle && ySingle && x[0] === y[0]) return plain('Pass', 'Only one distinct value in the canary and baseline data', false, 1);
  if (xSingle && ySingle) {
    // Every rank would tie within each side; the noise breaks the ties without moving the shift.
    x = jitter(x, NOISE_SEED_EXPERIMENT);
    y = jitter(y, NOISE_SEED_CONTROL);
  }
  return compare(name, y, x, p);
}

function compare(name: string, y: Float64Array, x: Float64Array, p: ClassifierParams): Classification {
  const mw = mannWhitneySorted(x, y, p.confLevel);
  const band = p.tolerance * Math.abs(mw.estimate);
  const effect = p.measure === 'cles' ? clesSorted(y, x) : meanRatio(y, x);
  // A NaN effect size (a mean of 0) cannot veto: the check is skipped.
  const effectHigh = Number.isNaN(effect) || effect >= p.allowedIncrease;
  const effectLow = Number.isNaN(effect) || effect <= p.allowedDecrease;
  const up = p.direction === 'increase' || p.direction === 'either';
  const down = p.direction === 'decrease' || p.direction === 'either';
  const base = { ciLower: mw.lower, ciUpper: mw.upper, estimate: mw.estimate, effectSize: Number.isNaN(effect) ? null : effect };
  if (up && mw.lower > band && effectHigh) {
    const critical = p.critical && (Number.isNaN(effect) || effect >= p.criticalIncrease);
    return { ...base, label: 'High', critical, reason: `${name} was classified as High${critical ? ' (Critical)' : ''}` };
  }
  if (down && mw.upper < -band && effectLow) {
    const critical = p.critical && (Number.isNaN(effect) || effect <= p.criticalDecrease);
    return { ...base, label: 'Low', critical, reason: `${name} was classified as Low${critical ? ' (Critical)' : ''}` };
  }
  return { ...base, label: 'Pass', critical: false, reason: null };
}

/** Mean of a side, or null when it is empty. */
export const meanOrNull = (values: ArrayLike<number>): number | null => (values.length ? mean(values) : null);
