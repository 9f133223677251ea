// Engine figures on the real local stack: stage-transition overhead on a 100-stage serial
// pipeline of zero-second waits, 200 concurrent executions of a 10-stage pipeline, and whether
// any stage was lost or run twice. A bare D1 write is timed in the same run for comparison.
import { benchStack } from './stack.mjs';

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const RUNS = 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const waits = (n) => Array.from({ length: n }, (_, i) => ({ refId: String(i + 1), requisiteStageRefIds: i ? [String(i)] : [], type: 'wait', name: `Wait ${i + 1}`, waitTime: 0 }));

export async function benchEngine() {
  const { call, stop } = await benchStack(8806);
  const until = async (id, deadlineMs, pollMs = 100) => {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const e = await call('GET', `/executions/${id}`);
      if (!['NOT_STARTED', 'RUNNING'].includes(e.status)) return e;
      if (Date.now() > end) throw new Error(`execution ${id} still ${e.status}`);
      await sleep(pollMs);
    }
  };
  try {
    await call('POST', '/applications', { name: 'bench' });

    // 1. Transition overhead. The engine commits chains of instant transitions in one D1 batch,
    // so per-stage timestamps inside a batch are equal; what a user feels is wall time. Each run
    // is timed from the start request to SUCCEEDED as seen by a client polling every 2 ms, and
    // divided by its 100 stages. The figures are the median and p99 of that over the runs.
    const serial = await call('POST', '/applications/bench/pipelines', { name: 'serial100', stages: waits(100) });
    const perStage = [];
    let done;
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now();
      const started = await call('POST', `/pipelines/${serial.id}/executions`, {});
      done = await until(started.id, 120_000, 2);
      perStage.push((performance.now() - t0) / 100);
    }
    const d1 = await call('POST', '/diagnostics/d1-write', { rounds: 40, writesPerRound: 20 });

    // 2. 200 concurrent executions of a 10-stage pipeline, started 20 at a time.
    const ten = await call('POST', '/applications/bench/pipelines', { name: 'ten', limitConcurrent: false, stages: waits(10) });
    const t0 = performance.now();
    const ids = [];
    for (let i = 0; i < 200; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => call('POST', `/pipelines/${ten.id}/executions`, {})));
      ids.push(...batch.map((e) => e.id));
    }
    const finished = [];
    for (const id of ids) finished.push(await until(id, 300_000));
    const concurrentS = (performance.now() - t0) / 1000;
    let lostOrDuplicated = 0;
    for (const e of [done, ...finished]) {
      const refIds = e.stages.map((s) => s.refId);
      lostOrDuplicated += refIds.length - new Set(refIds).size;
      lostOrDuplicated += e.stages.filter((s) => s.status !== 'SUCCEEDED' || !s.startedAt || !s.endedAt).length;
      if (e.status !== 'SUCCEEDED') lostOrDuplicated += 1;
    }
    lostOrDuplicated += Math.abs(done.stages.length - 100) + finished.reduce((n, e) => n + Math.abs(e.stages.length - 10), 0);

    return {
      'engine.transition_p50_ms': { value: percentile(perStage, 50), unit: 'ms' },
      'engine.transition_p99_ms': { value: percentile(perStage, 99), unit: 'ms' },
      'engine.d1_write_p50_ms': { value: percentile(d1.samplesMs, 50), unit: 'ms' },
      'engine.concurrent200_s': { value: concurrentS, unit: 's' },
      'engine.lost_or_duplicated_stages': { value: lostOrDuplicated, unit: 'count' },
    };
  } finally {
    await stop();
  }
}
