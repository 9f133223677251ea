// API figures on the real local stack (wrangler dev + local D1): how long the console's most
// frequent calls take, measured from a client on this machine.
import { benchStack } from './stack.mjs';

const ROUNDS = 60;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function time(fn) {
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/** Returns `{figure: {value, unit}}` for the API. */
export async function benchApi() {
  const { call, stop } = await benchStack(8805);
  try {
    await call('POST', '/applications', { name: 'bench' });
    for (let i = 0; i < 200; i++) await call('POST', '/applications', { name: `app${i}` });
    const pipeline = await call('POST', '/applications/bench/pipelines', { name: 'p', stages: [] });
    const stages = Array.from({ length: 20 }, (_, i) => ({
      refId: String(i + 1),
      requisiteStageRefIds: i ? [String(i)] : [],
      type: 'wait',
      name: `Wait ${i + 1}`,
      waitTime: 1,
    }));
    return {
      'api.health_ms': { value: await time(() => call('GET', '/health')), unit: 'ms' },
      'api.applications_list_50_ms': { value: await time(() => call('GET', '/applications?limit=50')), unit: 'ms' },
      'api.pipeline_save_20_stages_ms': {
        value: await time(() => call('PUT', `/pipelines/${pipeline.id}`, { name: 'p', stages })),
        unit: 'ms',
      },
    };
  } finally {
    await stop();
  }
}
