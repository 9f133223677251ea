import { describe, expect, it } from 'vitest';
import { normalizeJsonPath, readJsonPath } from './json-path.ts';

const doc = {
  status: 'RUNNING',
  build: { progress: '40%', 'odd key': 1 },
  jobs: [
    { name: 'test', state: 'SUCCESS' },
    { name: 'build', state: 'FAILED' },
  ],
  empty: null,
};

describe('readJsonPath', () => {
  it.each([
    { path: '$.status', value: 'RUNNING' },
    { path: 'status', value: 'RUNNING' },
    { path: 'build.progress', value: '40%' },
    { path: "$.build['odd key']", value: 1 },
    { path: "['status']", value: 'RUNNING' },
    { path: '$.jobs[1].state', value: 'FAILED' },
    { path: '$.jobs[-1].name', value: 'build' },
    { path: "$.jobs[?(@.name == 'build')].state", value: 'FAILED' },
    { path: "$.jobs[?@.name == 'test'].state", value: 'SUCCESS' },
    { path: '$.jobs[*].state', value: 'SUCCESS' }, // several matches: the first
    { path: '$..progress', value: '40%' },
    { path: '$.empty', value: null },
  ])('$path', ({ path, value }) => {
    expect(readJsonPath(doc, path)).toEqual({ ok: true, found: true, value });
  });

  it.each(['$.missing', '$.jobs[5]', "$.jobs[?(@.name == 'deploy')]"])('%s matches nothing', (path) => {
    expect(readJsonPath(doc, path)).toEqual({ ok: true, found: false });
  });

  it.each(['$.[', '$.jobs[?(@.name ==', '$.status()', "$[?(@.constructor.constructor('return 1')())]"])('%s is an invalid path, not code', (path) => {
    const r = readJsonPath(doc, path);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('invalid JSONPath');
  });

  it('normalizes Jayway-style paths', () => {
    expect(normalizeJsonPath(' status ')).toBe('$.status');
    expect(normalizeJsonPath('[0]')).toBe('$[0]');
    expect(normalizeJsonPath('$..x')).toBe('$..x');
  });
});
