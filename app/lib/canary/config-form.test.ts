import { describe, expect, it } from 'vitest';
import { canaryConfig } from '../../../contract/canary.ts';
import { blankMetric, canonical, fromConfig, groupsInUse, parseLabels, starterConfig, toConfig, type ConfigForm } from './config-form.ts';

/** A config as the API stores it: parsed by the contract, so defaults are filled in. */
const stored = (input: unknown) => canaryConfig.parse(input) as Record<string, unknown>;

const full = stored({
  name: 'checkout',
  metrics: [
    {
      name: 'errors',
      query: { type: 'builtin', metric: 'http_request_errors_total', aggregation: 'ratio', denominator: 'http_requests_total', labels: { path: '/' } },
      groups: ['errors'],
      analysisConfigurations: {
        canary: {
          direction: 'increase', nanStrategy: 'replace', critical: true, mustHaveData: true,
          effectSize: { measure: 'meanRatio', allowedIncrease: 1.1, criticalIncrease: 2 },
          outliers: { strategy: 'remove', outlierFactor: 3 },
        },
      },
    },
    {
      name: 'p99',
      query: { type: 'prometheus', query: 'histogram_quantile(0.99, sum(rate(x_bucket{server_group="${scope}"}[30s])) by (le))' },
      groups: ['latency', 'user-facing'],
    },
    { name: 'judged only', groups: ['misc'], analysisConfigurations: { canary: { muted: false } } },
  ],
  classifier: { groupWeights: { errors: 60, latency: 40 }, scoreThresholds: { pass: 80, marginal: 60 } },
});

function formOf(value: unknown): ConfigForm {
  const r = fromConfig(value);
  if (!r.ok) throw new Error(r.message);
  return r.form;
}

describe('fromConfig and toConfig', () => {
  it('give back a stored config unchanged, field for field', () => {
    expect(toConfig(formOf(full))).toEqual(full);
  });

  it('keep keys the form does not edit, at every level', () => {
    const extra = { ...full, description: 'kept', metrics: [{ ...(full.metrics as object[])[0], scopeName: 'default' }], classifier: { ...(full.classifier as object), note: 'x' } };
    const back = toConfig(formOf(extra));
    expect(back.description).toBe('kept');
    expect((back.metrics as { scopeName?: string }[])[0]!.scopeName).toBe('default');
    expect((back.classifier as { note?: string }).note).toBe('x');
  });

  it('show each field of a metric in its control', () => {
    const [errors, p99, judged] = formOf(full).metrics;
    expect(errors).toMatchObject({
      name: 'errors', groups: 'errors', source: 'builtin', metric: 'http_request_errors_total', aggregation: 'ratio',
      denominator: 'http_requests_total', labels: 'path=/', direction: 'increase', nanStrategy: 'replace', critical: true,
      mustHaveData: true, muted: false, measure: 'meanRatio', allowedIncrease: 1.1, allowedDecrease: null, criticalIncrease: 2,
      outlierStrategy: 'remove', outlierFactor: 3,
    });
    expect(p99).toMatchObject({ source: 'prometheus', promql: expect.stringContaining('histogram_quantile'), groups: 'latency, user-facing', direction: '' });
    expect(judged).toMatchObject({ source: '', critical: false, muted: false });
  });

  it('write an edit in the form to its place in the JSON, dropping settings emptied', () => {
    const form = formOf(full);
    const m = form.metrics[0]!;
    m.allowedIncrease = null;
    m.criticalIncrease = null;
    m.measure = '';
    m.outlierStrategy = '';
    m.outlierFactor = null;
    m.critical = false;
    m.groups = 'errors,  availability ,';
    form.marginal = 90;
    const out = toConfig(form);
    const metric = (out.metrics as Record<string, any>[])[0]!;
    expect(metric.groups).toEqual(['errors', 'availability']);
    // effectSize and outliers emptied entirely: no `{}` left behind.
    expect(metric.analysisConfigurations.canary).toEqual({ direction: 'increase', nanStrategy: 'replace', critical: false, mustHaveData: true });
    expect(out.classifier).toEqual({ groupWeights: { errors: 60, latency: 40 }, scoreThresholds: { pass: 80, marginal: 90 } });
  });

  it('switches a metric between query types, writing only the chosen one', () => {
    const form = formOf(full);
    const m = form.metrics[1]!;
    m.source = 'builtin';
    m.metric = 'http_request_duration_seconds';
    m.aggregation = 'quantile';
    m.quantile = 0.99;
    expect((toConfig(form).metrics as any[])[1].query).toEqual({ type: 'builtin', metric: 'http_request_duration_seconds', aggregation: 'quantile', quantile: 0.99, labels: {} });
    m.source = 'prometheus';
    expect((toConfig(form).metrics as any[])[1].query).toEqual({ type: 'prometheus', query: (full.metrics as any[])[1].query.query });
    m.source = '';
    expect((toConfig(form).metrics as any[])[1]).not.toHaveProperty('query');
  });

  it('writes group weights from rows, skipping rows without a group or a weight', () => {
    const form = formOf(full);
    form.weights = [{ group: ' errors ', weight: 70 }, { group: '', weight: 10 }, { group: 'latency', weight: null }, { group: 'misc', weight: 30 }];
    expect((toConfig(form).classifier as any).groupWeights).toEqual({ errors: 70, misc: 30 });
  });

  it('gives a new metric row a config the contract accepts once named and grouped', () => {
    const form = formOf(full);
    form.metrics.push({ ...blankMetric(), name: 'cpu', groups: 'resources', metric: 'process_cpu_seconds_total' });
    const out = toConfig(form);
    expect(canaryConfig.safeParse(out).success).toBe(true);
    expect((out.metrics as any[])[3]).toEqual({
      name: 'cpu', query: { type: 'builtin', metric: 'process_cpu_seconds_total', aggregation: 'rate', labels: {} }, groups: ['resources'],
      analysisConfigurations: { canary: { direction: 'increase' } },
    });
  });

  it.each([
    ['not an object', [], ''],
    ['metrics not a list', { metrics: {} }, 'metrics'],
    ['a threshold as a string', { metrics: [], classifier: { scoreThresholds: { pass: '75' } } }, 'classifier.scoreThresholds.pass'],
    ['an unknown query type', { metrics: [{ name: 'a', groups: ['g'], query: { type: 'datadog' } }] }, 'metrics[0].query.type'],
    ['groups not a list', { metrics: [{ name: 'a', groups: 'g' }] }, 'metrics[0].groups'],
    ['a group name with a comma', { metrics: [{ name: 'a', groups: ['a,b'] }] }, 'metrics[0].groups'],
    ['a label value with a comma', { metrics: [{ name: 'a', groups: ['g'], query: { type: 'builtin', metric: 'm', aggregation: 'rate', labels: { path: 'a,b' } } }] }, 'metrics[0].query.labels.path'],
    ['a flag as a string', { metrics: [{ name: 'a', groups: ['g'], analysisConfigurations: { canary: { critical: 'yes' } } }] }, 'metrics[0].analysisConfigurations.canary.critical'],
  ])('refuse to show %s in the form, naming where', (_, value, field) => {
    const r = fromConfig(value);
    expect(r).toMatchObject({ ok: false, field });
    if (!r.ok && field) expect(r.message).toContain(field);
  });

  it('keep a config that is not valid yet but fits the form (the API names what is wrong on save)', () => {
    const draft = { name: 'x', metrics: [{ name: '', groups: [] }], classifier: { scoreThresholds: { pass: 50, marginal: 80 } } };
    expect(toConfig(formOf(draft))).toEqual({ ...draft, classifier: { groupWeights: {}, scoreThresholds: { pass: 50, marginal: 80 } } });
  });
});

describe('form helpers', () => {
  it('parses labels, a bare name being a label with an empty value', () => {
    expect(parseLabels(' code=500 , method = GET,,region=, bare ')).toEqual({ code: '500', method: 'GET', region: '', bare: '' });
  });

  it('lists the groups the metrics use, each once in order', () => {
    expect(groupsInUse(formOf(full))).toEqual(['errors', 'latency', 'user-facing', 'misc']);
  });

  it('compares configs regardless of key order', () => {
    expect(canonical({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 2 } })).toBe(canonical({ a: { c: 2, d: [1, { y: 2, z: 1 }] }, b: 1 }));
    expect(canonical({ a: [1, 2] })).not.toBe(canonical({ a: [2, 1] }));
  });

  it('starts a new config with one the contract accepts once named', () => {
    expect(canaryConfig.safeParse({ ...starterConfig(), name: 'new' }).success).toBe(true);
    // An empty name is left out: the API then says the name is required, at the name field.
    const { name: _, ...rest } = starterConfig();
    expect(toConfig(formOf(starterConfig()))).toStrictEqual(rest);
  });
});
