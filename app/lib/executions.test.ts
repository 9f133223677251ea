import { describe, expect, it } from 'vitest';
import { elapsed, formatDuration, markExpression, parameterFields, parseStatusFilter, triggerText, valueAt } from './executions.ts';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'], [850, '850ms'], [12_400, '12s'], [65_000, '1m 05s'], [2 * 3600_000 + 3 * 60_000, '2h 03m'],
    [3 * 86_400_000 + 4 * 3600_000, '3d 4h'], [-1, '—'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('elapsed', () => {
  it('runs to now until it ends', () => {
    expect(elapsed(null, null)).toBe('—');
    expect(elapsed('2026-01-01T00:00:00Z', '2026-01-01T00:00:30Z')).toBe('30s');
    expect(elapsed('2026-01-01T00:00:00Z', null, Date.parse('2026-01-01T00:01:00Z'))).toBe('1m 00s');
  });
});

describe('markExpression', () => {
  it('finds the ${…} holding the expression', () => {
    expect(markExpression('${parameters.nope}', 'parameters.nope')).toEqual({ before: '', match: '${parameters.nope}', after: '' });
    expect(markExpression('v${ a }-${ b.c }!', 'b.c')).toEqual({ before: 'v${ a }-', match: '${ b.c }', after: '!' });
  });
  it('falls back to the bare text, or null', () => {
    expect(markExpression('x + y', 'y')).toEqual({ before: 'x + ', match: 'y', after: '' });
    expect(markExpression('abc', 'zzz')).toBeNull();
    expect(markExpression('abc', ' ')).toBeNull();
  });
});

describe('valueAt', () => {
  it('follows dots and indexes', () => {
    const ctx = { waitTime: '${x}', payload: { items: [{ url: 'u' }] } };
    expect(valueAt(ctx, 'waitTime')).toBe('${x}');
    expect(valueAt(ctx, 'payload.items[0].url')).toBe('u');
    expect(valueAt(ctx, 'payload.nope.deeper')).toBeUndefined();
  });
});

describe('parseStatusFilter and triggerText', () => {
  it('defaults unknown filters to all', () => {
    expect(parseStatusFilter('failed')).toBe('failed');
    expect(parseStatusFilter('toString')).toBe('all');
    expect(parseStatusFilter(null)).toBe('all');
  });
  it('says who triggered', () => {
    expect(triggerText({ type: 'manual', user: 'ana@example.com' })).toBe('manual by ana@example.com');
    expect(triggerText({})).toBe('unknown');
  });
});

describe('parameterFields', () => {
  it('reads labels, defaults, required and options, skipping malformed entries', () => {
    const fields = parameterFields({
      parameterConfig: [
        { name: 'env', label: 'Environment', required: true, options: [{ value: 'staging' }, { value: 'prod' }] },
        { name: 'version', default: '1.0.0', description: 'Image tag' },
        { label: 'no name' },
        'junk',
      ],
    });
    expect(fields).toEqual([
      { name: 'env', label: 'Environment', description: null, default: '', required: true, options: ['staging', 'prod'] },
      { name: 'version', label: 'version', description: 'Image tag', default: '1.0.0', required: false, options: [] },
    ]);
    expect(parameterFields({})).toEqual([]);
  });
});
