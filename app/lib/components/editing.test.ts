import { describe, expect, it } from 'vitest';
import { scanJson } from '../json-lines.ts';
import { failureText, markerOf } from './editing.ts';

const text = ['{', '  "name": "Ship",', '  "stages": [', '    { "refId": "1", "type": "wait" }', '  ]', '}'].join('\n');

describe('markerOf', () => {
  it('marks nothing in valid JSON that nothing refused', () => {
    expect(markerOf(scanJson(text), null)).toBeNull();
  });

  it('marks the line of the refused field', () => {
    expect(markerOf(scanJson(text), { field: 'stages[0].type', message: 'unknown stage type' })).toEqual({
      line: 4,
      message: 'unknown stage type',
      exact: true,
    });
  });

  it('marks the enclosing object, not exactly, when the refused field is missing', () => {
    expect(markerOf(scanJson(text), { field: 'stages[0].waitTime', message: 'required' })).toEqual({ line: 4, message: 'required', exact: false });
  });

  it('marks nothing for a field that is not a JSON path (a header, say)', () => {
    expect(markerOf(scanJson(text), { field: 'If-Match', message: 'stale' })).toBeNull();
  });

  it('marks a syntax error first, whatever a save refused before', () => {
    const broken = text.replace('"Ship",', '"Ship"');
    expect(markerOf(scanJson(broken), { field: 'stages[0].type', message: 'unknown stage type' })).toEqual({
      line: 3,
      message: expect.stringMatching(/\(line 3, column 3\)$/),
      exact: true,
    });
  });
});

describe('failureText', () => {
  it('says an error by its message, anything else as text, and nothing when nothing failed', () => {
    expect(failureText(new Error('The JSON is not valid.'))).toBe('The JSON is not valid.');
    expect(failureText('offline')).toBe('offline');
    expect(failureText(null)).toBeNull();
    expect(failureText(undefined)).toBeNull();
  });
});
