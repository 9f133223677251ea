import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { uniq } from '../test/client.ts';
import { countInstances, loadCluster } from './inventory.ts';
import type { InstanceHealth } from './types.ts';

describe('countInstances', () => {
  it.each<[InstanceHealth[], object]>([
    [[], { up: 0, down: 0, starting: 0, outOfService: 0, draining: 0, unknown: 0, total: 0 }],
    [['Up', 'Up', 'Down'], { up: 2, down: 1, starting: 0, outOfService: 0, draining: 0, unknown: 0, total: 3 }],
    [['Starting', 'OutOfService', 'Draining', 'Unknown'], { up: 0, down: 0, starting: 1, outOfService: 1, draining: 1, unknown: 1, total: 4 }],
  ])('%j', (healths, counts) => {
    expect(countInstances(healths.map((health) => ({ health })))).toEqual(counts);
  });
});

describe('loadCluster', () => {
  async function group(app: string, account: string, location: string, name: string, cluster: string, createdAt: number, healths: InstanceHealth[], disabled = false) {
    const id = crypto.randomUUID();
    const seq = /-v(\d{3})$/.exec(name)?.[1];
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO server_groups (id, account, location, name, application, cluster, stack, detail, sequence, disabled, capacity, created_at, reported_at)
         VALUES (?, ?, ?, ?, ?, ?, 'web', '', ?, ?, '{"min":0,"max":2,"desired":2}', ?, ?)`,
      ).bind(id, account, location, name, app, cluster, seq ? Number(seq) : null, disabled ? 1 : 0, createdAt, createdAt),
      ...healths.map((h, i) =>
        env.DB.prepare("INSERT INTO instances (id, server_group_id, name, health, reported_at) VALUES (?, ?, ?, ?, 0)").bind(crypto.randomUUID(), id, `${name}-i${i}`, h),
      ),
    ]);
    return id;
  }

  it('reads one cluster in an account, newest first, optionally in one location', async () => {
    const app = uniq();
    const acct = uniq('acct');
    const cluster = `${app}-web`;
    const v1 = await group(app, acct, 'local', `${cluster}-v001`, cluster, 1, ['Up', 'Down'], true);
    const v2 = await group(app, acct, 'local', `${cluster}-v002`, cluster, 2, ['Starting']);
    const eu = await group(app, acct, 'eu', `${cluster}-v003`, cluster, 3, []);
    await group(app, uniq('other'), 'local', `${cluster}-v004`, cluster, 4, ['Up']);
    await group(app, acct, 'local', `${app}-v001`, app, 5, ['Up']);
    await group(uniq(), acct, 'local', `${cluster}-v009`, cluster, 6, ['Up']);

    const local = await loadCluster(env.DB, { application: app, account: acct, location: 'local', cluster });
    expect(local).toEqual([
      {
        id: v2, account: acct, location: 'local', name: `${cluster}-v002`, sequence: 2, disabled: false, capacity: { min: 0, max: 2, desired: 2 }, createdAt: 2,
        instances: [{ name: `${cluster}-v002-i0`, health: 'Starting' }],
        moniker: { app, stack: 'web', detail: '', cluster, sequence: 2 },
      },
      {
        id: v1, account: acct, location: 'local', name: `${cluster}-v001`, sequence: 1, disabled: true, capacity: { min: 0, max: 2, desired: 2 }, createdAt: 1,
        instances: [{ name: `${cluster}-v001-i0`, health: 'Up' }, { name: `${cluster}-v001-i1`, health: 'Down' }],
        moniker: { app, stack: 'web', detail: '', cluster, sequence: 1 },
      },
    ]);
    const everywhere = await loadCluster(env.DB, { application: app, account: acct, cluster });
    expect(everywhere.map((g) => [g.id, g.location])).toEqual([[eu, 'eu'], [v2, 'local'], [v1, 'local']]);
    expect(await loadCluster(env.DB, { application: app, account: acct, location: 'mars', cluster })).toEqual([]);
  });
});
