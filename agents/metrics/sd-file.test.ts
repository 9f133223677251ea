import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryReport } from '../../contract/operations.ts';
import { fileSdTargets, SdFileWriter } from './sd-file.ts';

const report = (account: string, instances: { name: string; address: string | null }[]): InventoryReport => ({
  account,
  loadBalancers: [],
  serverGroups: [
    {
      name: 'hello-prod-canary-v003',
      location: 'local',
      moniker: { app: 'hello', stack: 'prod', detail: 'canary', cluster: 'hello-prod-canary', sequence: 3 },
      disabled: false,
      capacity: { min: 1, max: 2, desired: 2 },
      artifact: null,
      loadBalancers: [],
      createdAt: 0,
      instances: instances.map((i) => ({ id: i.name, name: i.name, health: 'Up' as const, address: i.address, launchedAt: 0 })),
    },
  ],
});

describe('fileSdTargets', () => {
  it('lists each instance with an address as host:port, labelled with its group, moniker, account and location', () => {
    const targets = fileSdTargets([report('local', [{ name: 'hello-prod-canary-v003-0', address: 'http://127.0.0.1:9101' }, { name: 'starting', address: null }])]);
    expect(targets).toEqual([
      {
        targets: ['127.0.0.1:9101'],
        labels: {
          server_group: 'hello-prod-canary-v003', cluster: 'hello-prod-canary', app: 'hello', stack: 'prod', detail: 'canary',
          account: 'local', location: 'local', instance_name: 'hello-prod-canary-v003-0',
        },
      },
    ]);
  });

  it('tells Prometheus a scheme and metrics path other than its defaults', () => {
    const [target] = fileSdTargets([report('k8s', [{ name: 'x', address: 'https://[::1]:8443' }])], () => '/admin/metrics');
    expect(target!.targets).toEqual(['[::1]:8443']);
    expect(target!.labels).toMatchObject({ __scheme__: 'https', __metrics_path__: '/admin/metrics' });
  });
});

describe('SdFileWriter', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-sd-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes the file readable by Prometheus, rewrites it only on change, and leaves no temporary files', async () => {
    const file = path.join(dir, 'sd', 'gennaker.json');
    let reports = [report('local', [{ name: 'a', address: 'http://127.0.0.1:9101' }])];
    const writer = new SdFileWriter(file, async () => reports, () => undefined, () => undefined);
    await writer.update();
    expect(JSON.parse(await readFile(file, 'utf8'))[0].targets).toEqual(['127.0.0.1:9101']);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    const written = (await stat(file)).mtimeMs;

    await new Promise((r) => setTimeout(r, 20));
    await writer.update();
    expect((await stat(file)).mtimeMs).toBe(written);

    reports = [report('local', [{ name: 'a', address: 'http://127.0.0.1:9101' }, { name: 'b', address: 'http://127.0.0.1:9102' }])];
    await writer.update();
    expect(JSON.parse(await readFile(file, 'utf8')).map((t: { targets: string[] }) => t.targets[0])).toEqual(['127.0.0.1:9101', '127.0.0.1:9102']);
    expect(await readdir(path.dirname(file))).toEqual(['gennaker.json']);
  });

  it('logs a failure once and keeps going', async () => {
    const lines: string[] = [];
    const writer = new SdFileWriter(path.join(dir, 'x.json'), async () => Promise.reject(new Error('provider closed')), () => undefined, (l) => lines.push(l));
    await writer.update();
    await writer.update();
    expect(lines).toEqual([`cannot write the Prometheus file_sd file ${path.join(dir, 'x.json')} (provider closed); trying again on the next change`]);
  });
});
