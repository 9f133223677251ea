import { describe, expect, it } from 'vitest';
import { parsePromText, parsePromValue, PromTextError, type SampleFilter } from './prom-text.ts';

describe('parsePromText', () => {
  it('reads the format reference example: comments, labels, escapes, +Inf, timestamps, histograms', () => {
    const text = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      '# Escaping in label values:',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      'rpc_duration_seconds{quantile="0.5",} 4773',
    ].join('\n');
    expect(parsePromText(text)).toEqual([
      { name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestampMs: 1395066363000 },
      { name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3, timestampMs: 1395066363000 },
      { name: 'msdos_file_access_time_seconds', labels: { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' }, value: 1.458255915e9, timestampMs: null },
      { name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47, timestampMs: null },
      { name: 'something_weird', labels: { problem: 'division by zero' }, value: Infinity, timestampMs: -3982045 },
      { name: 'http_request_duration_seconds_bucket', labels: { le: '0.05' }, value: 24054, timestampMs: null },
      { name: 'http_request_duration_seconds_bucket', labels: { le: '+Inf' }, value: 144320, timestampMs: null },
      { name: 'rpc_duration_seconds', labels: { quantile: '0.5' }, value: 4773, timestampMs: null },
    ]);
  });

  it('tells a filter the type each sample’s family declared: histogram and summary parts belong to their family', () => {
    const seen: string[] = [];
    const keep: SampleFilter = (sample, type) => (seen.push(`${sample.name}:${type ?? '-'}`), sample.name !== 'drop_me');
    const text = [
      '# TYPE req_total counter',
      'req_total 1',
      '#  TYPE  lat  histogram',
      'lat_bucket{le="+Inf"} 2',
      'lat_sum 0.5',
      'lat_count 2',
      '# TYPE rpc summary',
      'rpc{quantile="0.5"} 3',
      'rpc_count 4',
      '# TYPE free_count gauge',
      'free_count 5',
      'drop_me 6',
    ].join('\n');
    expect(parsePromText(text, keep).map((x) => x.name)).toEqual(['req_total', 'lat_bucket', 'lat_sum', 'lat_count', 'rpc', 'rpc_count', 'free_count']);
    expect(seen).toEqual(['req_total:counter', 'lat_bucket:histogram', 'lat_sum:histogram', 'lat_count:histogram', 'rpc:summary', 'rpc_count:summary', 'free_count:gauge', 'drop_me:-']);
  });

  it('keeps braces, commas and # inside label values, accepts CRLF, tabs and spaces around labels', () => {
    expect(parsePromText('a{ x = "}{,#" ,\ty="" }\t-1.5e-3\r\n')).toEqual([{ name: 'a', labels: { x: '}{,#', y: '' }, value: -0.0015, timestampMs: null }]);
  });

  it('reads NaN and -Inf values', () => {
    const [nan, neg] = parsePromText('a NaN\nb -Inf\n');
    expect(nan!.value).toBeNaN();
    expect(neg!.value).toBe(-Infinity);
  });

  it.each([
    ['a{x="1"', /line 1: expected , or } after a label/],
    ['a{x="1} 2', /unterminated value for label x/],
    ['a{x=1} 2', /expected a quoted value for label x/],
    ['a{x="1",x="2"} 3', /label x is given twice/],
    ['a', /expected a value/],
    ['a 0x10', /"0x10" is not a number/],
    ['a 1 2 3', /unexpected text after the timestamp/],
    ['a 1 1.5', /timestamp "1.5" is not an integer/],
    ['ok 1\n9lives 1', /line 2: expected a metric name/],
  ])('refuses %j', (text, message) => {
    expect(() => parsePromText(text)).toThrow(PromTextError);
    expect(() => parsePromText(text)).toThrow(message);
  });
});

describe('parsePromValue', () => {
  it.each([
    ['1', 1], ['-2.5', -2.5], ['.5', 0.5], ['1e3', 1000], ['+Inf', Infinity], ['inf', Infinity], ['-Inf', -Infinity],
  ])('%s → %s', (raw, value) => expect(parsePromValue(raw)).toBe(value));

  it('refuses empty text, which Number() would take for 0', () => expect(() => parsePromValue('')).toThrow(/is not a number/));
});
