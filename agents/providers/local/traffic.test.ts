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
