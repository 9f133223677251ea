// Traffic through the local load balancer while groups change (red/black, drain), and agent
// restarts (adopt running instances, restore dead ones). Real examples/hello processes.
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Provider } from '../provider.ts';
import { get, harness, helloGroup, noLog, ref, running, waitFor, type HelloAnswer, type Harness } from './testing.ts';

let h: Harness;
let provider: Provider;

beforeEach(async () => {
  h = await harness();
  provider = await h.open();
});
afterEach(async () => {
  await h.cleanup();
});

async function lbAddress(p = provider): Promise<string> {
  const address = (await p.inventory('local')).loadBalancers.find((l) => l.name === 'hello')?.address;
  if (!address) throw new Error('no load balancer hello');
  return address;
}

/**
 * Sends GETs to `url`, `concurrency` at a time, until `finish(extra)` was called and at least
 * `atLeast` and `extra` more have been sent; never more than `max`. `done` has every answer.
 */
function loadLoop(url: string, concurrency: number, bounds: { atLeast: number; max: number }) {
  const answers: Array<HelloAnswer | { status: 0; body: string }> = [];
  let sent = 0;
  let target = bounds.max;
  const worker = async () => {
    while (sent < target) {
      sent++;
      answers.push(await get(url, AbortSignal.timeout(10_000)).catch((err: Error) => ({ status: 0 as const, body: err.message })));
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker)).then(() => answers);
  const finish = (extra: number) => (target = Math.min(bounds.max, Math.max(bounds.atLeast, sent + extra)));
  return { answers, done, finish };
}

describe('local load balancer', () => {
  it('switches red/black under load with zero failed requests', async () => {
    const v1 = helloGroup('hello-v001', { version: '1.0.0', env: { LATENCY_MS: '50' } });
    const v2 = helloGroup('hello-v002', { version: '2.0.0', env: { LATENCY_MS: '50' }, enabled: false });
    await provider.createServerGroup(v1, noLog);
    const address = await lbAddress();

    const load = loadLoop(address, 4, { atLeast: 200, max: 1000 });
    await waitFor('traffic on v1', () => load.answers.length >= 20);
    await provider.createServerGroup(v2, noLog);
    await provider.enableServerGroup(ref(v2), noLog);
    await waitFor('traffic on v2', () => load.answers.some((a) => 'version' in a && a.version === '2.0.0'));
    const disabled = await provider.disableServerGroup({ ...ref(v1), drainTimeoutSec: 10 }, noLog);
    // Then shrink the cluster, as a red/black with maxRemainingAsgs 1 does, still under load.
    await provider.destroyServerGroup(ref(v1), noLog);
    load.finish(40);
    const answers = await load.done;

    expect(answers.length).toBeGreaterThanOrEqual(200);
    expect(answers.length).toBeLessThan(1000);
    const failures = answers.filter((a) => a.status !== 200);
    expect(failures).toEqual([]);
    const versions = new Set(answers.map((a) => ('version' in a ? a.version : undefined)));
    expect(versions).toEqual(new Set(['1.0.0', '2.0.0']));
    // The switch happened mid-loop: the answers after it all come from v2.
    expect(answers.slice(-20).every((a) => 'version' in a && a.version === '2.0.0')).toBe(true);
    expect(disabled.disabled).toBe(true);
    expect(disabled.instances.map((i) => i.health)).toEqual(['OutOfService', 'OutOfService']);
    expect((await provider.inventory('local')).serverGroups.map((g) => g.name)).toEqual(['hello-v002']);

    const after = await Promise.all(Array.from({ length: 10 }, () => get(address)));
    expect(after.map((a) => a.version)).toEqual(Array(10).fill('2.0.0'));
  });

  it('lets a slow request finish when its instance is disabled, and shows it Draining meanwhile', async () => {
    const op = helloGroup('hello-v001', { desired: 1, env: { LATENCY_MS: '1500' } });
    await provider.createServerGroup(op, noLog);
    const address = await lbAddress();

    const slow = get(address);
    await delay(300);
    const started = Date.now();
    const disabling = provider.disableServerGroup({ ...ref(op), drainTimeoutSec: 10 }, noLog);
    await delay(100);
    const during = await provider.inventory('local');
    expect(during.serverGroups[0]!.instances[0]!.health).toBe('Draining');
    // Out of rotation at once: a new request is refused while the old one still runs.
    const refused = await get(address);
    expect(refused.status).toBe(503);

    const snap = await disabling;
    expect((await slow).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThan(800);
    expect(snap.instances[0]!.health).toBe('OutOfService');

    // Enabling puts it back.
    const enabled = await provider.enableServerGroup(ref(op), noLog);
    expect(enabled.instances[0]!.health).toBe('Up');
    expect((await get(address)).status).toBe(200);
  });

  it('gives up draining after drainTimeoutSec', async () => {
    const op = helloGroup('hello-v001', { desired: 1, env: { LATENCY_MS: '2500' } });
    await provider.createServerGroup(op, noLog);
    const slow = get(await lbAddress()).catch(() => undefined);
    await delay(200);
    const lines: string[] = [];
    const started = Date.now();
    await provider.disableServerGroup({ ...ref(op), drainTimeoutSec: 1 }, (l) => lines.push(l));
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(lines.at(-1)).toBe('1 requests still in flight after 1 s; disabled anyway');
    await slow;
  });
});

describe('disable by percentage (rolling red/black)', () => {
  /** How many of `n` sequential requests through `address` each version answered. */
  async function shares(address: string, n: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const a = await get(address);
      expect(a.status).toBe(200);
      counts[a.version!] = (counts[a.version!] ?? 0) + 1;
    }
    return counts;
  }

  it('disabling 50% of a 4-instance group takes 2 instances out of the load balancer; requests hit only the other 2; enable puts them back', async () => {
    const op = helloGroup('hello-v001', { desired: 4 });
    await provider.createServerGroup(op, noLog);
    const address = await lbAddress();
    const lines: string[] = [];
    const snap = await provider.disableServerGroup({ ...ref(op), drainTimeoutSec: 5, desiredPercentage: 50 }, (l) => lines.push(l));

    expect(snap.disabled).toBe(false);
    expect(snap.instances.map((i) => [i.name, i.health])).toEqual([
      ['hello-v001-0', 'Up'],
      ['hello-v001-1', 'Up'],
      ['hello-v001-2', 'OutOfService'],
      ['hello-v001-3', 'OutOfService'],
    ]);
    expect(lines[0]).toMatch(/^disabling 50% of hello-v001: removed hello-v001-3, hello-v001-2; 2 of 4 stay in hello/);
    const inService = await Promise.all(['hello-v001-0', 'hello-v001-1'].map(async (name) => (await get(snap.instances.find((i) => i.name === name)!.address!)).pid));
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(address)));
    expect(new Set(answers.map((a) => a.pid))).toEqual(new Set(inService));

    // The split survives an agent restart: it is in the state file.
    await provider.close();
    provider = await h.open();
    const reopened = (await provider.inventory('local')).serverGroups[0]!;
    expect(reopened.instances.map((i) => i.health)).toEqual(['Up', 'Up', 'OutOfService', 'OutOfService']);

    const enabled = await provider.enableServerGroup(ref(op), noLog);
    expect(enabled.instances.map((i) => i.health)).toEqual(['Up', 'Up', 'Up', 'Up']);
    const after = await Promise.all(Array.from({ length: 12 }, () => get(address)));
    expect(new Set(after.map((a) => a.pid)).size).toBe(4);
  });

  it('moves traffic by the target percentages, not by instance counts: 25% then 50% to v2, then all', async () => {
    const v1 = helloGroup('hello-v001', { version: '1.0.0', desired: 4 });
    await provider.createServerGroup(v1, noLog);
    const address = await lbAddress();

    // 25%: v2 created with 1 of 4, then 25% of v1 out: 3 v1 + 1 v2 in rotation.
    const v2 = helloGroup('hello-v002', { version: '2.0.0', desired: 1 });
    await provider.createServerGroup(v2, noLog);
    await provider.disableServerGroup({ ...ref(v1), drainTimeoutSec: 5, desiredPercentage: 25 }, noLog);
    const at25 = await shares(address, 40);
    expect(at25['2.0.0']! / 40).toBeGreaterThanOrEqual(0.2);
    expect(at25['2.0.0']! / 40).toBeLessThanOrEqual(0.3);

    // 50%: v2 grows to 2, 50% of v1 out (one more): 2 + 2.
    await provider.resizeServerGroup({ ...ref(v2), capacity: { min: 0, max: 10, desired: 2 }, waitForHealthy: true }, noLog);
    const half = await provider.disableServerGroup({ ...ref(v1), drainTimeoutSec: 5, desiredPercentage: 50 }, noLog);
    expect(half.instances.filter((i) => i.health === 'OutOfService')).toHaveLength(2);
    const at50 = await shares(address, 40);
    expect(at50['2.0.0']! / 40).toBeGreaterThanOrEqual(0.45);
    expect(at50['2.0.0']! / 40).toBeLessThanOrEqual(0.55);

    // 100%: v2 at full size, v1 disabled as a whole.
    await provider.resizeServerGroup({ ...ref(v2), capacity: { min: 0, max: 10, desired: 4 }, waitForHealthy: true }, noLog);
    const off = await provider.disableServerGroup({ ...ref(v1), drainTimeoutSec: 5 }, noLog);
    expect(off.disabled).toBe(true);
    expect(await shares(address, 12)).toEqual({ '2.0.0': 12 });
  });

  it('a scale-down of a partly disabled group stops the instances out of service first, so every one left serves', async () => {
    const op = helloGroup('hello-v001', { desired: 4 });
    await provider.createServerGroup(op, noLog);
    await provider.disableServerGroup({ ...ref(op), drainTimeoutSec: 5, desiredPercentage: 50 }, noLog);
    // Two newer instances in service: by age alone, a scale-down would stop those and keep the idle ones.
    await provider.resizeServerGroup({ ...ref(op), capacity: { min: 0, max: 6, desired: 6 }, waitForHealthy: true }, noLog);
    const down = await provider.resizeServerGroup({ ...ref(op), capacity: { min: 0, max: 6, desired: 4 }, waitForHealthy: true }, noLog);
    expect(down.instances.map((i) => [i.name, i.health])).toEqual([
      ['hello-v001-0', 'Up'],
      ['hello-v001-1', 'Up'],
      ['hello-v001-4', 'Up'],
      ['hello-v001-5', 'Up'],
    ]);
  });

  it('a partial disable of a group already disabled leaves it disabled', async () => {
    const op = helloGroup('hello-v001', { desired: 2 });
    await provider.createServerGroup(op, noLog);
    await provider.disableServerGroup({ ...ref(op), drainTimeoutSec: 5 }, noLog);
    const lines: string[] = [];
    const snap = await provider.disableServerGroup({ ...ref(op), drainTimeoutSec: 5, desiredPercentage: 50 }, (l) => lines.push(l));
    expect(snap.disabled).toBe(true);
    expect(snap.instances.map((i) => i.health)).toEqual(['OutOfService', 'OutOfService']);
    expect(lines).toEqual(['hello-v001 is already disabled']);
  });
});

describe('agent restart', () => {
  it('re-adopts running instances on the same load balancer port without restarting them', async () => {
    const op = helloGroup('hello-v001');
    await provider.createServerGroup(op, noLog);
    const address = await lbAddress();
    const pids = await h.pids();
    const before = await provider.inventory('local');
    await provider.close();

    // The agent is down: its load balancer is gone, its instances run on.
    await expect(fetch(address)).rejects.toThrow();
    expect(pids.every(running)).toBe(true);

    const again = await h.open();
    expect(await h.pids()).toEqual(pids);
    const after = await again.inventory('local');
    expect(after).toEqual(before);
    expect(after.serverGroups[0]!.instances.map((i) => i.health)).toEqual(['Up', 'Up']);
    const answers = await Promise.all([get(address), get(address)]);
    expect(new Set(answers.map((a) => a.pid))).toEqual(new Set(pids));
    expect(h.logs.filter((l) => l.endsWith('adopted (pid ' + pids[0] + `, port ${after.serverGroups[0]!.instances[0]!.address!.split(':').at(-1)})`))).toHaveLength(1);
  });

  it('restores an instance that died while the agent was down, on its old port', async () => {
    const op = helloGroup('hello-v001');
    await provider.createServerGroup(op, noLog);
    const address = await lbAddress();
    const [victim, survivor] = await h.pids();
    const before = (await provider.inventory('local')).serverGroups[0]!.instances;
    await provider.close();

    process.kill(-victim!, 'SIGKILL');
    await waitFor('the killed instance to be gone', () => !running(victim!));

    const again = await h.open();
    const [restored, kept] = await h.pids();
    expect(kept).toBe(survivor);
    expect(restored).not.toBe(victim);
    expect(running(restored!)).toBe(true);
    await waitFor('the restored instance to be Up', async () => (await again.inventory('local')).serverGroups[0]!.instances.every((i) => i.health === 'Up'));
    const after = (await again.inventory('local')).serverGroups[0]!.instances;
    expect(after.map((i) => [i.name, i.address])).toEqual(before.map((i) => [i.name, i.address]));
    expect(after[0]!.launchedAt).toBeGreaterThan(before[0]!.launchedAt!);
    const pidsSeen = new Set((await Promise.all([get(address), get(address)])).map((a) => a.pid));
    expect(pidsSeen).toEqual(new Set([restored, survivor]));
  });

  it('restarts an instance that crashes while the agent runs', async () => {
    const op = helloGroup('hello-v001', { desired: 1 });
    await provider.createServerGroup(op, noLog);
    const [pid] = await h.pids();
    process.kill(-pid!, 'SIGKILL');
    await waitFor('the instance to be Down', async () => (await provider.inventory('local')).serverGroups[0]!.instances[0]!.health === 'Down');
    // Restarted after a 1 s backoff, on the same port.
    await waitFor('the instance to be Up again', async () => (await provider.inventory('local')).serverGroups[0]!.instances[0]!.health === 'Up', 5_000);
    const [again] = await h.pids();
    expect(again).not.toBe(pid);
    expect((await get(await lbAddress())).pid).toBe(again);
  });
});
