import { describe, expect, it } from 'vitest';
import { adminToken, api, tokenWith } from '../test/client.ts';

const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const config = (extra: Record<string, unknown> = {}) => ({
  metrics: [
    { name: 'latency', groups: ['perf'], analysisConfigurations: { canary: { direction: 'increase', critical: true } } },
    { name: 'errors', groups: ['errors'] },
  ],
  ...extra,
});
const data = {
  latency: { control: seq(50, (i) => 100 + (i % 7)), experiment: seq(50, (i) => 200 + (i % 7)) },
  errors: { control: seq(50, (i) => 1 + (i % 3) / 10), experiment: [...seq(49, (i) => 1 + ((i + 1) % 3) / 10), null] },
};

describe('POST /api/v1/canary/judge', () => {
  it('judges a run', async () => {
    const token = await adminToken();
    const res = await api('POST', '/canary/judge', { token, body: { config: config(), data } });
    expect(res.status).toBe(200);
    const latency = res.json.metrics.find((m: { name: string }) => m.name === 'latency');
    expect([latency.label, latency.critical]).toEqual(['High', true]);
    expect(latency.ciLower).toBeGreaterThan(90);
    expect(res.json.metrics.find((m: { name: string }) => m.name === 'errors').label).toBe('Pass');
    expect([res.json.summaryScore, res.json.result]).toEqual([0, 'Fail']);
  });

  it('scores with weights and thresholds', async () => {
    const token = await adminToken();
    const body = { config: config({ classifier: { groupWeights: { errors: 70 }, scoreThresholds: { pass: 60, marginal: 30 } } }), data };
    body.config.metrics[0]!.analysisConfigurations = { canary: { direction: 'increase', critical: false } };
    const res = await api('POST', '/canary/judge', { token, body });
    expect(res.status).toBe(200);
    expect(res.json.groups).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'errors', weight: 70, score: 100 }), expect.objectContaining({ name: 'perf', weight: 30, score: 0 })]));
    expect([res.json.summaryScore, res.json.result]).toEqual([70, 'Pass']);
  });

  it('needs a token with read scope', async () => {
    expect((await api('POST', '/canary/judge', { body: { config: config(), data } })).status).toBe(401);
    const admin = await adminToken();
    const readOnly = await tokenWith(admin, { scopes: ['read'] });
    expect((await api('POST', '/canary/judge', { token: readOnly.secret, body: { config: config(), data } })).status).toBe(200);
  });

  const bad: [string, unknown, string][] = [
    ['unknown direction', { config: { metrics: [{ name: 'a', groups: ['g'], analysisConfigurations: { canary: { direction: 'up' } } }] }, data: {} }, 'direction'],
    ['negative weight', { config: config({ classifier: { groupWeights: { perf: -1 } } }), data }, 'groupWeights'],
    ['weights over 100', { config: config({ classifier: { groupWeights: { perf: 60, errors: 50 } } }), data }, 'groupWeights'],
    ['marginal above pass', { config: config({ classifier: { scoreThresholds: { pass: 50, marginal: 70 } } }), data }, 'marginal'],
    ['data for an unknown metric', { config: config(), data: { ...data, cpu: { control: [1], experiment: [2] } } }, 'data.cpu'],
  ];
  for (const [name, body, field] of bad) {
    it(`400 on ${name}`, async () => {
      const res = await api('POST', '/canary/judge', { token: await adminToken(), body });
      expect(res.status).toBe(400);
      expect(res.json.error.field).toContain(field);
    });
  }
});
