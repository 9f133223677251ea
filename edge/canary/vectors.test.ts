import { describe, expect, it } from 'vitest';
import { runVectors, vectorCases } from './vectors.ts';

describe('Kayenta test vectors', () => {
  for (const v of vectorCases) {
    it(`${v.file} ${v.id}`, () => {
      expect(v.check()).toEqual([]);
    });
  }

  it('all pass', () => {
    const r = runVectors();
    console.log(`canary vectors: ${r.passed}/${r.total} passed`);
    expect(r.passed).toBe(r.total);
  });
});
