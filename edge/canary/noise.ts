/**
 * Seeded Gaussian noise. Kayenta jitters two single-valued samples before the rank test; a fixed
 * seed keeps the judge a pure function (same input, same answer).
 */

/** mulberry32: a small, fast 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Adds N(mean, stdev²) noise to each value (Box-Muller over a seeded generator). */
export function addGaussianNoise(values: readonly number[], mean: number, stdev: number, seed: number): number[] {
  const rand = mulberry32(seed);
  return values.map((v) => {
    const u1 = 1 - rand();
    const u2 = rand();
    return v + mean + stdev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  });
}
