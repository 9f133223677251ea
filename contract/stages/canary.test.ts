import { describe, expect, it } from 'vitest';
import { firstIssue } from '../errors.ts';
import { validatePipelineConfig } from '../pipelines.ts';
import { canaryIntervalCount, canarySettings } from './canary.ts';

const valid = {
  canaryConfigName: 'health',
  account: 'local',
  location: 'local',
  cluster: 'hello-prod',
  artifact: { type: 'process', command: 'node', args: ['hello.mjs'] },
  lifetimeMins: 60,
  analysisIntervalMins: 15,
};

/** The first issue of parsing `valid` with `over`, or null when it parses. */
function issueOf(over: Record<string, unknown>) {
  const parsed = canarySettings.safeParse({ ...valid, ...over });
  return parsed.success ? null : firstIssue(parsed.error);
}

describe('canary settings: a bounded schedule', () => {
  it.each([
    { rule: 'a week of lifetime is allowed', over: { lifetimeMins: 10080, analysisIntervalMins: 60 }, field: null },
    { rule: 'longer than a week is not', over: { lifetimeMins: 10081 }, field: 'lifetimeMins' },
    { rule: 'exactly 1000 analyses are allowed', over: { lifetimeMins: 1000, analysisIntervalMins: 1 }, field: null },
    { rule: 'a week in ~10-minute intervals (the message’s own suggestion) is allowed', over: { lifetimeMins: 10080, analysisIntervalMins: 10.08 }, field: null },
    { rule: '1001 analyses are not', over: { lifetimeMins: 1001, analysisIntervalMins: 1 }, field: 'analysisIntervalMins' },
    { rule: 'an interval longer than the lifetime is one analysis', over: { lifetimeMins: 5, analysisIntervalMins: 500 }, field: null },
  ])('$rule', ({ over, field }) => {
    expect(issueOf(over)?.field ?? null).toBe(field);
  });

  it('names analysisIntervalMins and the smallest interval that would do', () => {
    expect(issueOf({ lifetimeMins: 10080, analysisIntervalMins: 1 })).toEqual({
      field: 'analysisIntervalMins',
      message: 'analysisIntervalMins: 10080 minutes in intervals of 1 minutes make 10080 analyses; at most 1000 are allowed (raise analysisIntervalMins to at least 10.08)',
    });
  });

  it.each([
    { s: { lifetimeMins: 60 }, n: 1 },
    { s: { lifetimeMins: 60, analysisIntervalMins: 15 }, n: 4 },
    { s: { lifetimeMins: 10, analysisIntervalMins: 30 }, n: 1 },
    { s: { lifetimeMins: 0.3, analysisIntervalMins: 0.1 }, n: 3 },
  ])('canaryIntervalCount($s) = $n', ({ s, n }) => {
    expect(canaryIntervalCount(s)).toBe(n);
  });
});

describe('canary settings: the Prometheus URL, as the agent accepts it', () => {
  it.each([
    'http://prometheus:9090',
    'https://metrics.example.com/prometheus/',
  ])('accepts %s', (url) => {
    expect(issueOf({ metricsSource: { type: 'prometheus', url } })).toBeNull();
  });

  it.each([
    { url: 'http://admin:secret@prometheus:9090', why: 'credentials' },
    { url: 'http://admin@prometheus:9090', why: 'a user' },
    { url: 'http://prometheus:9090/?token=abc', why: 'a query' },
    { url: 'http://prometheus:9090/?', why: 'an empty query' },
    { url: 'http://prometheus:9090/#frag', why: 'a fragment' },
    { url: 'ftp://prometheus:9090', why: 'not http(s)' },
    { url: 'file:///etc/passwd', why: 'a file' },
    { url: 'prometheus:9090', why: 'no scheme' },
  ])('refuses $why ($url), naming metricsSource.url', ({ url }) => {
    const issue = issueOf({ metricsSource: { type: 'prometheus', url } });
    expect(issue?.field).toBe('metricsSource.url');
    expect(issue?.message).toMatch(/^metricsSource\.url: must (be an http\(s\) URL|not have credentials, a query or a fragment)/);
  });
});

describe('a pipeline with a canary stage', () => {
  const pipeline = (over: Record<string, unknown>) => validatePipelineConfig({ name: 'p', stages: [{ refId: '1', type: 'canary', name: 'Canary', ...valid, ...over }] });

  it.each([
    { over: { lifetimeMins: 20000 }, field: 'stages[0].lifetimeMins' },
    { over: { metricsSource: { type: 'prometheus', url: 'http://prometheus:9090/?token=abc' } }, field: 'stages[0].metricsSource.url' },
    { over: { lifetimeMins: 10080, analysisIntervalMins: 1 }, field: 'stages[0].analysisIntervalMins' },
  ])('is refused when saved: $field', ({ over, field }) => {
    expect(pipeline(over)).toMatchObject({ ok: false, field });
  });

  it('saves a lifetime of exactly 1000 analyses', () => {
    expect(pipeline({ lifetimeMins: 1000, analysisIntervalMins: 1 })).toMatchObject({ ok: true });
  });
});
