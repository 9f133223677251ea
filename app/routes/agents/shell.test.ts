import { describe, expect, it } from 'vitest';
import { shellWord, shellWords } from './shell.ts';

describe('shellWord', () => {
  it.each([
    ['gni_AbC-12_xyz', 'gni_AbC-12_xyz'],
    ['https://ci.example.com:8443/gennaker', 'https://ci.example.com:8443/gennaker'],
    ['two words', `'two words'`],
    ["it's", `'it'\\''s'`],
    ['$HOME', `'$HOME'`],
    ['~root', `'~root'`],
    ['a&&b', `'a&&b'`],
  ])('%s → %s', (word, quoted) => {
    expect(shellWord(word)).toBe(quoted);
    expect(shellWords(quoted)).toEqual([word]);
  });
});

describe('shellWords', () => {
  it.each([
    ['node gennaker-agent.mjs --server x', ['node', 'gennaker-agent.mjs', '--server', 'x']],
    ["a 'b c' d\\ e", ['a', 'b c', 'd e']],
    ['a \\\n  b', ['a', 'b']],
    ['curl -o f u &&\nnode f', ['curl', '-o', 'f', 'u', '&&', 'node', 'f']],
    ["''", ['']],
  ])('%j', (line, words) => expect(shellWords(line)).toEqual(words));
});
