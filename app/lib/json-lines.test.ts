import { describe, expect, it } from 'vitest';
import { lineOfField, parsePath, scanJson } from './json-lines.ts';

const config = JSON.stringify(
  {
    name: 'deploy',
    stages: [
      { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 30 },
      { refId: '2', requisiteStageRefIds: ['1', '3'], type: 'wait', name: 'Wait more' },
    ],
    'odd key': { 'a.b': true },
  },
  null,
  2,
);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('parsePath', () => {
  it.each([
    ['stages[1].requisiteStageRefIds', ['stages', 1, 'requisiteStageRefIds']],
    ['stages[1].requisiteStageRefIds[0]', ['stages', 1, 'requisiteStageRefIds', 0]],
    ['name', ['name']],
    ['["odd key"]["a.b"]', ['odd key', 'a.b']],
    ['If-Match', null],
    ['', []],
  ])('%s', (path, segments) => {
    expect(parsePath(path)).toEqual(segments);
  });
});

describe('lineOfField', () => {
  const scan = scanJson(config);
  if (!scan.ok) throw new Error('fixture must be valid JSON');

  it('finds a nested key on its own line', () => {
    // stages[1] opens with "refId": "2" and lists its requisites on the next line.
    expect(lineOfField(scan.lines, 'stages[1].requisiteStageRefIds')).toEqual({ line: lineOf(config, '"refId": "2"') + 1, exact: true });
  });
  it('finds an array item', () => {
    expect(lineOfField(scan.lines, 'stages[1].requisiteStageRefIds[1]')).toEqual({ line: lineOf(config, '"3"'), exact: true });
  });
  it('falls back to the enclosing object for a missing field', () => {
    const stage1 = lineOf(config, '"refId": "2"') - 1; // the "{" line of stages[1]
    expect(lineOfField(scan.lines, 'stages[1].waitTime')).toEqual({ line: stage1, exact: false });
  });
  it('handles quoted keys', () => {
    expect(lineOfField(scan.lines, '["odd key"]["a.b"]')).toEqual({ line: lineOf(config, '"a.b"'), exact: true });
  });
  it('gives null for paths outside the body', () => {
    expect(lineOfField(scan.lines, 'If-Match')).toBeNull();
  });
});

describe('scanJson syntax errors', () => {
  it.each([
    ['{\n  "a": 1\n  "b": 2\n}', 3, 'expected "," or "}" after the value of "a", found a string (is a comma missing?)'],
    ['[\n  1\n  2\n]', 3, 'expected "," or "]" after array item 0, found "2" (is a comma missing?)'],
    ['{\n  "a": [1, 2,]\n}', 2, 'trailing comma'],
    ['{\n  "a": 1,\n}', 3, 'trailing comma'],
    ['{\n  a: 1\n}', 2, 'property name in double quotes'],
    ['{\n  "a": "open\n}', 2, 'not closed'],
    ['{\n  "a": tru\n}', 2, 'expected a value'],
    ['{"a": 1}\n}', 2, 'after the end'],
    ['', 1, 'value is missing'],
  ])('%j fails on line %i', (text, line, message) => {
    const scan = scanJson(text);
    expect(scan.ok).toBe(false);
    if (scan.ok) return;
    expect(scan.line).toBe(line);
    expect(scan.message).toContain(message);
  });

  it('agrees with JSON.parse on valid text', () => {
    for (const text of [config, '[]', '"x"', '-1.5e3', '{"a":{"b":[null,true,false,"\\u00e9\\n"]}}']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(scanJson(text).ok).toBe(true);
    }
  });
});
