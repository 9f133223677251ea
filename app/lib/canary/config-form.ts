/**
 * The canary config form's model and its two-way mapping with the config JSON. The form edits the
 * fields Kayenta users know (metrics, their query, analysis settings, group weights, thresholds);
 * every other key of the JSON is carried through untouched, so switching between the form and the
 * JSON editor never loses an edit.
 */
import type { z } from 'zod';
import type { builtinMetricQuery, canaryAnalysisConfig, direction } from '../../../contract/canary.ts';

type Analysis = z.input<typeof canaryAnalysisConfig>;
export type Direction = z.infer<typeof direction>;
export type Aggregation = z.infer<typeof builtinMetricQuery>['aggregation'];
export type SourceType = '' | 'prometheus' | 'builtin';
type Json = Record<string, unknown>;

/** One metric as the form edits it; empty strings and nulls mean "not set" (the judge's default). */
export interface MetricForm {
  /** The metric's JSON as last read, for the keys the form does not edit. */
  raw: Json;
  name: string;
  /** Comma-separated group names. */
  groups: string;
  source: SourceType;
  /** PromQL of a `prometheus` query. */
  promql: string;
  metric: string;
  aggregation: Aggregation;
  denominator: string;
  quantile: number | null;
  /** `key=value` pairs, comma-separated. */
  labels: string;
  direction: '' | Direction;
  nanStrategy: '' | NonNullable<Analysis['nanStrategy']>;
  critical: boolean;
  mustHaveData: boolean;
  muted: boolean;
  measure: '' | NonNullable<NonNullable<Analysis['effectSize']>['measure']>;
  allowedIncrease: number | null;
  allowedDecrease: number | null;
  criticalIncrease: number | null;
  criticalDecrease: number | null;
  outlierStrategy: '' | NonNullable<NonNullable<Analysis['outliers']>['strategy']>;
  outlierFactor: number | null;
}

export interface WeightRow {
  group: string;
  weight: number | null;
}

export interface ConfigForm {
  raw: Json;
  name: string;
  metrics: MetricForm[];
  weights: WeightRow[];
  pass: number | null;
  marginal: number | null;
}

/** Why a JSON text cannot be shown in the form, at which JSON path. */
export interface Unrepresentable {
  field: string;
  message: string;
}

export type FromConfig = { ok: true; form: ConfigForm } | ({ ok: false } & Unrepresentable);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value of the wrong type for its form control: the form would silently change it, so it refuses. */
class Refusal extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function objectAt(v: unknown, field: string): Json {
  if (v === undefined) return {};
  if (!isObject(v)) throw new Refusal(field, 'expected an object');
  return v;
}
function stringAt(v: unknown, field: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new Refusal(field, 'expected a string');
  return v;
}
function numberAt(v: unknown, field: string): number | null {
  if (v === undefined) return null;
  if (typeof v !== 'number') throw new Refusal(field, 'expected a number');
  return v;
}
function boolAt(v: unknown, field: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new Refusal(field, 'expected true or false');
  return v;
}
function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): '' | T {
  if (v === undefined) return '';
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new Refusal(field, `expected one of ${allowed.join(', ')}`);
  return v as T;
}

/** `a, b` ⇄ `['a', 'b']`; a group name with a comma cannot be typed into the list. */
function groupsText(v: unknown, field: string): string {
  if (v === undefined) return '';
  if (!Array.isArray(v) || v.some((g) => typeof g !== 'string')) throw new Refusal(field, 'expected a list of group names');
  if (v.some((g: string) => g.includes(','))) throw new Refusal(field, 'a group name with a comma can only be edited as JSON');
  return v.join(', ');
}
export const parseGroups = (text: string): string[] =>
  text
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);

function labelsText(v: unknown, field: string): string {
  const labels = objectAt(v, field);
  return Object.entries(labels)
    .map(([k, value]) => {
      if (typeof value !== 'string') throw new Refusal(`${field}.${k}`, 'expected a string');
      if (/[,=]/.test(k) || value.includes(',')) throw new Refusal(`${field}.${k}`, 'a label with "," or "=" in its name, or "," in its value, can only be edited as JSON');
      return `${k}=${value}`;
    })
    .join(', ');
}
/** `code=500, method=GET` → `{code: '500', method: 'GET'}`; a bare name is a label with an empty value. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const pair = part.trim();
    if (!pair) continue;
    const at = pair.indexOf('=');
    const key = (at < 0 ? pair : pair.slice(0, at)).trim();
    if (key) out[key] = at < 0 ? '' : pair.slice(at + 1).trim();
  }
  return out;
}

/** A new, empty metric row. */
export function blankMetric(): MetricForm {
  return {
    raw: {},
    name: '',
    groups: '',
    source: 'builtin',
    promql: '',
    metric: '',
    aggregation: 'rate',
    denominator: '',
    quantile: null,
    labels: '',
    direction: 'increase',
    nanStrategy: '',
    critical: false,
    mustHaveData: false,
    muted: false,
    measure: '',
    allowedIncrease: null,
    allowedDecrease: null,
    criticalIncrease: null,
    criticalDecrease: null,
    outlierStrategy: '',
    outlierFactor: null,
  };
}

function metricForm(v: unknown, at: string): MetricForm {
  const raw = objectAt(v, at);
  const query = objectAt(raw.query, `${at}.query`);
  const source = oneOf(query.type, ['prometheus', 'builtin'] as const, `${at}.query.type`);
  if (raw.query !== undefined && !source) throw new Refusal(`${at}.query.type`, 'expected one of prometheus, builtin');
  const ac = objectAt(raw.analysisConfigurations, `${at}.analysisConfigurations`);
  const c = `${at}.analysisConfigurations.canary`;
  const canary = objectAt(ac.canary, c);
  const effect = objectAt(canary.effectSize, `${c}.effectSize`);
  const outliers = objectAt(canary.outliers, `${c}.outliers`);
  const q = `${at}.query`;
  return {
    raw,
    name: stringAt(raw.name, `${at}.name`),
    groups: groupsText(raw.groups, `${at}.groups`),
    source,
    promql: source === 'prometheus' ? stringAt(query.query, `${q}.query`) : '',
    metric: source === 'builtin' ? stringAt(query.metric, `${q}.metric`) : '',
    aggregation: (source === 'builtin' && oneOf(query.aggregation, ['rate', 'gauge', 'ratio', 'quantile'] as const, `${q}.aggregation`)) || 'rate',
    denominator: source === 'builtin' ? stringAt(query.denominator, `${q}.denominator`) : '',
    quantile: source === 'builtin' ? numberAt(query.quantile, `${q}.quantile`) : null,
    labels: source === 'builtin' ? labelsText(query.labels, `${q}.labels`) : '',
    direction: oneOf(canary.direction, ['increase', 'decrease', 'either'] as const, `${c}.direction`),
    nanStrategy: oneOf(canary.nanStrategy, ['remove', 'replace'] as const, `${c}.nanStrategy`),
    critical: boolAt(canary.critical, `${c}.critical`),
    mustHaveData: boolAt(canary.mustHaveData, `${c}.mustHaveData`),
    muted: boolAt(canary.muted, `${c}.muted`),
    measure: oneOf(effect.measure, ['meanRatio', 'cles'] as const, `${c}.effectSize.measure`),
    allowedIncrease: numberAt(effect.allowedIncrease, `${c}.effectSize.allowedIncrease`),
    allowedDecrease: numberAt(effect.allowedDecrease, `${c}.effectSize.allowedDecrease`),
    criticalIncrease: numberAt(effect.criticalIncrease, `${c}.effectSize.criticalIncrease`),
    criticalDecrease: numberAt(effect.criticalDecrease, `${c}.effectSize.criticalDecrease`),
    outlierStrategy: oneOf(outliers.strategy, ['remove', 'keep'] as const, `${c}.outliers.strategy`),
    outlierFactor: numberAt(outliers.outlierFactor, `${c}.outliers.outlierFactor`),
  };
}

/**
 * The form for a config JSON value, or where the value has a shape the form cannot show without
 * changing it (a string where a number belongs, say): that text stays in the JSON editor.
 */
export function fromConfig(value: unknown): FromConfig {
  try {
    if (!isObject(value)) throw new Refusal('', 'a canary config is a JSON object: { "name": …, "metrics": [ … ], "classifier": { … } }');
    if (value.metrics !== undefined && !Array.isArray(value.metrics)) throw new Refusal('metrics', 'expected a list of metrics');
    const metrics = ((value.metrics as unknown[] | undefined) ?? []).map((m, i) => metricForm(m, `metrics[${i}]`));
    const classifier = objectAt(value.classifier, 'classifier');
    const weights = objectAt(classifier.groupWeights, 'classifier.groupWeights');
    const thresholds = objectAt(classifier.scoreThresholds, 'classifier.scoreThresholds');
    return {
      ok: true,
      form: {
        raw: value,
        name: stringAt(value.name, 'name'),
        metrics,
        weights: Object.entries(weights).map(([group, w]) => ({ group, weight: numberAt(w, `classifier.groupWeights.${group}`) })),
        pass: numberAt(thresholds.pass, 'classifier.scoreThresholds.pass'),
        marginal: numberAt(thresholds.marginal, 'classifier.scoreThresholds.marginal'),
      },
    };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, field: err.field, message: err.field ? `${err.field}: ${err.message}` : err.message };
    throw err;
  }
}

/**
 * Sets `path` inside `obj` (making the objects on the way), or deletes it when `value` is
 * undefined and drops objects left empty by that, so an unset threshold leaves no `{}` behind.
 */
function put(obj: Json, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    if (value === undefined) delete obj[head];
    else obj[head] = value;
    return;
  }
  const child = isObject(obj[head]) ? obj[head] : {};
  put(child, rest, value);
  if (Object.keys(child).length) obj[head] = child;
  else delete obj[head];
}

const text = (s: string) => (s.trim() ? s.trim() : undefined);
const num = (n: number | null | undefined) => (typeof n === 'number' && Number.isFinite(n) ? n : undefined);
/** A flag the JSON left out stays out while false, so loading and switching changes nothing. */
const flag = (on: boolean, had: unknown) => (on ? true : had === undefined ? undefined : false);

function queryOf(m: MetricForm): Json | undefined {
  if (m.source === 'prometheus') return { type: 'prometheus', query: m.promql };
  if (m.source !== 'builtin') return undefined;
  const q: Json = { type: 'builtin', metric: m.metric.trim(), aggregation: m.aggregation };
  // Hidden fields (a denominator of a rate) are still written when set: the form shows them then.
  if (text(m.denominator)) q.denominator = text(m.denominator);
  if (num(m.quantile) !== undefined) q.quantile = m.quantile;
  q.labels = parseLabels(m.labels);
  return q;
}

function metricConfig(m: MetricForm): Json {
  const out = structuredClone(m.raw);
  const old = (isObject(out.analysisConfigurations) && isObject(out.analysisConfigurations.canary) ? out.analysisConfigurations.canary : {}) as Json;
  const c = ['analysisConfigurations', 'canary'];
  out.name = m.name.trim();
  put(out, ['query'], queryOf(m));
  out.groups = parseGroups(m.groups);
  put(out, [...c, 'direction'], m.direction || undefined);
  put(out, [...c, 'nanStrategy'], m.nanStrategy || undefined);
  put(out, [...c, 'critical'], flag(m.critical, old.critical));
  put(out, [...c, 'mustHaveData'], flag(m.mustHaveData, old.mustHaveData));
  put(out, [...c, 'muted'], flag(m.muted, old.muted));
  put(out, [...c, 'effectSize', 'measure'], m.measure || undefined);
  for (const k of ['allowedIncrease', 'allowedDecrease', 'criticalIncrease', 'criticalDecrease'] as const) put(out, [...c, 'effectSize', k], num(m[k]));
  put(out, [...c, 'outliers', 'strategy'], m.outlierStrategy || undefined);
  put(out, [...c, 'outliers', 'outlierFactor'], num(m.outlierFactor));
  return out;
}

/** The config JSON the form describes, with the keys it does not edit as they were. */
export function toConfig(form: ConfigForm): Json {
  const out = structuredClone(form.raw);
  put(out, ['name'], form.name.trim() || undefined);
  out.metrics = form.metrics.map(metricConfig);
  const weights: Record<string, number> = {};
  for (const w of form.weights) if (w.group.trim() && num(w.weight) !== undefined) weights[w.group.trim()] = w.weight!;
  const classifier: Json = isObject(out.classifier) ? out.classifier : {};
  classifier.groupWeights = weights;
  put(classifier, ['scoreThresholds', 'pass'], num(form.pass));
  put(classifier, ['scoreThresholds', 'marginal'], num(form.marginal));
  out.classifier = classifier;
  return out;
}

/** The groups the metrics name, in order of first use. */
export function groupsInUse(form: ConfigForm): string[] {
  return [...new Set(form.metrics.flatMap((m) => parseGroups(m.groups)))];
}

/** JSON with object keys sorted: two configs that differ only in key order compare equal. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/** What a new config starts with: one metric of the demo service, the usual thresholds. */
export function starterConfig(): Json {
  return {
    name: '',
    metrics: [
      {
        name: 'error rate',
        query: { type: 'builtin', metric: 'http_request_errors_total', aggregation: 'ratio', denominator: 'http_requests_total', labels: {} },
        groups: ['errors'],
        analysisConfigurations: { canary: { direction: 'increase', critical: true } },
      },
    ],
    classifier: { groupWeights: { errors: 100 }, scoreThresholds: { pass: 75, marginal: 50 } },
  };
}
