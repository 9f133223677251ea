// The local provider against real examples/hello processes: create, adopt, fail, resize,
// destroy, inventory. Every test cleans up its processes (see testing.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inventoryReport, serverGroupSnapshot } from '../../../contract/operations.ts';
import type { Provider } from '../provider.ts';
import { get, harness, helloGroup, noLog, processesLoggingTo, ref, running, waitFor, type Harness } from './testing.ts';

let h: Harness;
let provider: Provider;

beforeEach(async () => {
  h = await harness();
  provider = await h.open();
});
afterEach(async () => {
  await h.cleanup();
});

async function lbAddress(name = 'hello'): Promise<string> {
  const lb = (await provider.inventory('local')).loadBalancers.find((l) => l.name === name);
  if (!lb?.address) throw new Error(`no load balancer ${name}`);
  return lb.address;
}

describe('local provider', () => {
  it('creates 2 Up instances behind a load balancer that serves them round-robin', async () => {
    const lines: string[] = [];
    const snap = await provider.createServerGroup(helloGroup('hello-v001'), (l) => lines.push(l));
    expect(snap).toMatchObject({ name: 'hello-v001', disabled: false, loadBalancers: ['hello'], capacity: { desired: 2 } });
    expect(snap.instances.map((i) => [i.name, i.health])).toEqual([
      ['hello-v001-0', 'Up'],
      ['hello-v001-1', 'Up'],
    ]);
    expect(lines).toContain('all 2 instances Up');

    const answers = [];
    for (let n = 0; n < 6; n++) answers.push(await get(await lbAddress()));
    expect(answers.every((a) => a.status === 200 && a.version === '1.0.0')).toBe(true);
    const pids = new Set(answers.map((a) => a.pid));
    expect(pids).toEqual(new Set(await h.pids()));
    expect(pids.size).toBe(2);
    // Strictly alternating: round-robin, not random.
    expect(answers[0]!.pid).toBe(answers[2]!.pid);
    expect(answers[0]!.pid).not.toBe(answers[1]!.pid);
    // Each instance is reachable on its own address too.
    expect((await get(snap.instances[0]!.address!)).status).toBe(200);
  });

  it('adopts an existing group on a second create instead of starting more processes', async () => {
    const op = helloGroup('hello-v001');
    const first = await provider.createServerGroup(op, noLog);
    const pidsBefore = await h.pids();
    const lines: string[] = [];
    const second = await provider.createServerGroup(op, (l) => lines.push(l));
    expect(lines[0]).toMatch(/already exists.*adopting it/);
    expect(second.instances.map((i) => i.name)).toEqual(first.instances.map((i) => i.name));
    expect(await h.pids()).toEqual(pidsBefore);
    expect(await processesLoggingTo(h.stateDir)).toHaveLength(2);
  });

  it('fails a group that never turns healthy, removes its processes, and leaves other groups alone', async () => {
    await provider.createServerGroup(helloGroup('hello-v001'), noLog);
    const healthyPids = await h.pids();

    const sick = helloGroup('hello-v002', { version: '2.0.0', env: { HEALTHY: 'false' }, timeoutSec: 1 });
    await expect(provider.createServerGroup(sick, noLog)).rejects.toThrow(
      /hello-v002: 2 of 2 instances never became healthy \(not healthy within 1 s\): hello-v002-0 \(Down: HTTP 503\); hello-v002-1 \(Down: HTTP 503\)/,
    );
    expect(await processesLoggingTo(h.stateDir, 'hello-v002')).toEqual([]);

    const missing = helloGroup('hello-v003');
    missing.artifact = { type: 'process', command: 'node', args: ['examples/hello/no-such-file.mjs'], env: {} };
    missing.healthCheck.timeoutSec = 30;
    const started = Date.now();
    await expect(provider.createServerGroup(missing, noLog)).rejects.toThrow(/hello-v003-0 \(process \d+ exited with code 1; its log says: Error: Cannot find module '.*no-such-file.mjs'\)/);
    // A process that died will not heal: no waiting out the 30 s.
    expect(Date.now() - started).toBeLessThan(10_000);

    const noCommand = helloGroup('hello-v004', { desired: 1 });
    noCommand.artifact = { type: 'process', command: 'gennaker-no-such-command', args: [], env: {} };
    await expect(provider.createServerGroup(noCommand, noLog)).rejects.toThrow(/cannot start "gennaker-no-such-command".*ENOENT/);

    const inventory = await provider.inventory('local');
    expect(inventory.serverGroups.map((g) => g.name)).toEqual(['hello-v001']);
    expect(inventory.serverGroups[0]!.instances.every((i) => i.health === 'Up')).toBe(true);
    expect(await h.pids()).toEqual(healthyPids);
    expect(healthyPids.every(running)).toBe(true);
    expect((await get(await lbAddress())).version).toBe('1.0.0');
  });

  it('refuses docker artifacts', async () => {
    const op = helloGroup('hello-v001');
    op.artifact = { type: 'docker', image: 'hello:1', env: {} };
    await expect(provider.createServerGroup(op, noLog)).rejects.toThrow('local provider runs process artifacts only');
  });

  it('resizes up and down, stopping the newest instances', async () => {
    const op = helloGroup('hello-v001', { desired: 1 });
    await provider.createServerGroup(op, noLog);
    const [firstPid] = await h.pids();

    const up = await provider.resizeServerGroup({ ...ref(op), capacity: { min: 0, max: 5, desired: 3 }, waitForHealthy: true }, noLog);
    expect(up.capacity.desired).toBe(3);
    expect(up.instances.map((i) => [i.name, i.health])).toEqual([
      ['hello-v001-0', 'Up'],
      ['hello-v001-1', 'Up'],
      ['hello-v001-2', 'Up'],
    ]);
    const threePids = await h.pids();
    expect(threePids).toHaveLength(3);

    const down = await provider.resizeServerGroup({ ...ref(op), capacity: { min: 0, max: 5, desired: 1 }, waitForHealthy: true }, noLog);
    expect(down.instances.map((i) => i.name)).toEqual(['hello-v001-0']);
    expect(await h.pids()).toEqual([firstPid]);
    await waitFor('stopped instances to exit', () => threePids.slice(1).every((pid) => !running(pid)));
    expect((await get(await lbAddress())).pid).toBe(firstPid);

    await expect(provider.resizeServerGroup({ ...ref(op), capacity: { min: 2, max: 5, desired: 1 }, waitForHealthy: true }, noLog)).rejects.toThrow(
      'desired 1 must be between min 2 and max 5',
    );
    await expect(provider.resizeServerGroup({ ...ref(op), serverGroupName: 'nope-v001', capacity: { min: 0, max: 5, desired: 1 }, waitForHealthy: true }, noLog)).rejects.toThrow(
      'server group nope-v001 not found',
    );
  });

  it('destroys a group (and destroying it again, or an unknown one, succeeds)', async () => {
    const op = helloGroup('hello-v001');
    await provider.createServerGroup(op, noLog);
    const pids = await h.pids();
    const address = await lbAddress();
    await provider.destroyServerGroup(ref(op), noLog);
    expect(pids.some(running)).toBe(false);
    expect(await processesLoggingTo(h.stateDir)).toEqual([]);
    const inventory = await provider.inventory('local');
    expect(inventory.serverGroups).toEqual([]);
    // The load balancer stays (its address is the cluster's) and says why it cannot serve.
    expect(inventory.loadBalancers).toEqual([{ name: 'hello', location: 'local', address, serverGroups: [] }]);
    const answer = await get(address);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/no enabled server group has an instance that is Up/);
    await provider.destroyServerGroup(ref(op), noLog);
    await provider.destroyServerGroup({ ...ref(op), serverGroupName: 'never-v001' }, noLog);
  });

  it('reports an inventory that the contract schema accepts, and tells listeners of changes', async () => {
    let changes = 0;
    provider.onChange(() => changes++);
    const op = helloGroup('hello-prod-v001', { cluster: 'hello-prod', desired: 1 });
    op.loadBalancers = ['hello-public', 'hello-internal'];
    expect(serverGroupSnapshot.parse(await provider.createServerGroup(op, noLog))).toBeTruthy();
    await provider.createServerGroup(helloGroup('hello-v001', { desired: 1, enabled: false }), noLog);
    expect(changes).toBeGreaterThan(0);

    const inventory = await provider.inventory('local');
    expect(inventoryReport.parse(inventory)).toEqual(inventory);
    expect(inventory.serverGroups.map((g) => [g.name, g.disabled, g.loadBalancers, g.instances[0]?.health])).toEqual([
      ['hello-prod-v001', false, ['hello-public', 'hello-internal'], 'Up'],
      ['hello-v001', true, ['hello'], 'OutOfService'],
    ]);
    expect(inventory.serverGroups[0]).toMatchObject({
      moniker: { app: 'hello', cluster: 'hello-prod', sequence: 1 },
      artifact: { type: 'process', command: 'node', env: { VERSION: '1.0.0' } },
    });
    expect(inventory.serverGroups[0]!.createdAt).toBeGreaterThan(Date.now() - 60_000);
    expect(inventory.serverGroups[0]!.instances[0]!.launchedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(inventory.loadBalancers.map((lb) => [lb.name, lb.serverGroups])).toEqual([
      ['hello-public', ['hello-prod-v001']],
      ['hello-internal', ['hello-prod-v001']],
      ['hello', ['hello-v001']],
    ]);
    expect(inventory.loadBalancers.every((lb) => /^http:\/\/127\.0\.0\.1:\d+$/.test(lb.address ?? ''))).toBe(true);
    expect(await provider.inventory('other')).toEqual({ account: 'other', serverGroups: [], loadBalancers: [] });
    // A disabled group's load balancer has no backend.
    expect((await get(await lbAddress('hello'))).status).toBe(503);
    expect((await get(await lbAddress('hello-internal'))).status).toBe(200);
  });
});
