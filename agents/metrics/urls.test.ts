import { describe, expect, it } from 'vitest';
import { prometheusUrlFor, redactUrl } from './urls.ts';

describe('prometheusUrlFor', () => {
  const own = 'http://prom.monitoring:9090';
  const allowed = ['https://thanos.example.com/query'];

  it('takes the agent’s own URL when the task names none, and fails clearly without one', () => {
    expect(prometheusUrlFor(undefined, own, allowed)).toBe(own);
    expect(() => prometheusUrlFor(undefined, undefined)).toThrow('the canary reads metrics from Prometheus, but the task names no URL and this agent has no --prometheus-url');
  });

  it.each([
    ['the agent’s own', 'http://prom.monitoring:9090', own],
    ['the agent’s own with a trailing slash', 'http://prom.monitoring:9090/', own],
    ['an allowed one, host in capitals', 'https://THANOS.example.com/query/', 'https://thanos.example.com/query'],
    ['an allowed one with its default port spelled out', 'https://thanos.example.com:443/query', 'https://thanos.example.com/query'],
  ])('accepts %s', (_, taskUrl, expected) => {
    expect(prometheusUrlFor(taskUrl, own, allowed)).toBe(expected);
  });

  it.each([
    ['an internal address', 'http://169.254.169.254/latest/meta-data/', 'http://169.254.169.254/latest/meta-data/'],
    ['another path on an allowed host', 'https://thanos.example.com/admin', 'https://thanos.example.com/admin'],
    ['an allowed URL with credentials', 'https://bob:hunter2@thanos.example.com/query', 'https://***@thanos.example.com/query'],
    ['an allowed URL with a query', 'https://thanos.example.com/query?token=abc', 'https://thanos.example.com/query?…'],
    ['not an http URL', 'prom:9090', 'prom:9090'],
    ['not a URL', 'not a url', 'not a url'],
  ])('refuses %s, printing it without secrets', (_, taskUrl, printed) => {
    expect(() => prometheusUrlFor(taskUrl, own, allowed)).toThrow(
      `this agent does not query Prometheus at ${printed}: it queries only its --prometheus-url and the URLs its operator lists with --prometheus-allow`,
    );
  });
});

describe('redactUrl', () => {
  it.each([
    ['http://u:p@prom:9090/x?y=1#z', 'http://***@prom:9090/x?…#…'],
    ['http://prom:9090', 'http://prom:9090'],
    ['//u:p@weird?q', '//***@weird?…'],
    ['ftp://u:p@files/x', 'ftp://***@files/x'],
  ])('%s → %s', (raw, expected) => {
    expect(redactUrl(raw)).toBe(expected);
  });
});
