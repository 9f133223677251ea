// Canary judge figures, in Node, on the judge's TypeScript directly: time to judge seeded random
// data at two shapes, and how many of Kayenta's test vectors pass.
import { judge } from '../edge/canary/judge.ts';
import { mulberry32 } from '../edge/canary/noise.ts';
import { runVectors } from '../edge/canary/vectors.ts';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Seeded normal samples with a few NaNs and outliers, the way real metric series look. */
function series(n, mu, sd, seed) {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const u = r();
    if (u < 0.002) return NaN;
    if (u > 0.998) return mu * 50;
    return mu + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  });
}

function workload(metrics, points) {
  const config = {
    metrics: Array.from({ length: metrics }, (_, i) => ({
      name: `m${i}`, groups: [`g${i % 5}`],
      analysisConfigurations: { canary: { outliers: { strategy: 'remove' }, direction: i % 2 ? 'increase' : 'either' } },
    })),
    classifier: { groupWeights: {}, scoreThresholds: { pass: 75, marginal: 50 } },
  };
  const data = Object.fromEntries(config.metrics.map((m, i) => [m.name, {
    control: series(points, 100, 10, 2 * i + 1),
    experiment: series(points, 100 + (i % 4), 10, 2 * i + 2),
  }]));
  return { config, data };
}

function time(metrics, points, rounds) {
  const { config, data } = workload(metrics, points);
  judge(config, data); // warm-up
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    judge(config, data);
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/** Returns `{figure: {value, unit}}` for the canary judge. */
export async function benchCanary() {
  const vectors = runVectors();
  for (const f of vectors.failures) console.log(`canary vector ${f.file} ${f.id}: ${f.problems.join('; ')}`);
  return {
    'canary.judge_100x1000_ms': { value: time(100, 1000, 15), unit: 'ms' },
    'canary.judge_10x100000_ms': { value: time(10, 100_000, 5), unit: 'ms' },
    'canary.vectors_passed': { value: vectors.passed, unit: 'count' },
    'canary.vectors_total': { value: vectors.total, unit: 'count' },
  };
}
