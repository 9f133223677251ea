import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { agentApi, rowCount } from '../test/client.ts';
import { registeredAgent, type TestAgent } from './test-agents.ts';

const group = (name: string, sequence: number | null, instances: string[], over: Record<string, unknown> = {}) => ({
  name,
  location: 'here',
  moniker: { app: 'hello', stack: 'prod', detail: 'eu', cluster: 'hello-prod-eu', sequence },
  disabled: false,
  capacity: { min: instances.length, max: instances.length, desired: instances.length },
  artifact: { type: 'process', version: 'hello 1.0.0' },
  loadBalancers: ['hello-lb'],
  createdAt: 1_700_000_000_000 + (sequence ?? 0),
  instances: instances.map((id) => ({ id, name: `${name}-${id}`, health: 'Up', address: 'http://127.0.0.1:9001', launchedAt: 1_700_000_000_500 })),
  ...over,
});

const report = (agent: TestAgent, body: Record<string, unknown>) => agentApi('POST', '/inventory', { token: agent.credential, body });

async function groupsOf(account: string) {
  const { results } = await env.DB.prepare('SELECT * FROM server_groups WHERE account = ? ORDER BY name').bind(account).all<Record<string, any>>();
  return results;
}
async function instancesOf(account: string) {
  const { results } = await env.DB.prepare(
    'SELECT i.id, i.name, i.health, i.address, i.launched_at, g.name AS grp FROM instances i JOIN server_groups g ON g.id = i.server_group_id WHERE g.account = ? ORDER BY i.name',
  )
    .bind(account)
    .all<Record<string, any>>();
  return results;
}
const counts = async () => [await rowCount('server_groups'), await rowCount('instances')];

describe('POST /inventory', () => {
  it("replaces the account's server groups and instances, keeping ids of groups still there", async () => {
    const agent = await registeredAgent();
    const first = await report(agent, { account: agent.account, serverGroups: [group('hello-prod-eu-v001', 1, ['a', 'b']), group('hello-prod-eu-v002', 2, ['c'])] });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ account: agent.account, serverGroups: 2, instances: 3 });
    const groups = await groupsOf(agent.account);
    expect(groups).toEqual([
      expect.objectContaining({
        name: 'hello-prod-eu-v001', location: 'here', application: 'hello', cluster: 'hello-prod-eu', stack: 'prod', detail: 'eu', sequence: 1, disabled: 0,
        capacity: '{"min":2,"max":2,"desired":2}', artifact: '{"type":"process","version":"hello 1.0.0"}', load_balancers: '["hello-lb"]', created_at: 1_700_000_000_001,
      }),
      expect.objectContaining({ name: 'hello-prod-eu-v002', sequence: 2 }),
    ]);
    const v2 = groups[1]!.id;
    expect(await instancesOf(agent.account)).toEqual([
      { id: `${groups[0]!.id}:a`, name: 'hello-prod-eu-v001-a', health: 'Up', address: 'http://127.0.0.1:9001', launched_at: 1_700_000_000_500, grp: 'hello-prod-eu-v001' },
      expect.objectContaining({ name: 'hello-prod-eu-v001-b', grp: 'hello-prod-eu-v001' }),
      expect.objectContaining({ id: `${v2}:c`, grp: 'hello-prod-eu-v002' }),
    ]);

    // v001 was destroyed, v002 disabled and scaled, v003 created without a sequence or artifact.
    const second = await report(agent, {
      account: agent.account,
      serverGroups: [group('hello-prod-eu-v002', 2, ['c', 'd'], { disabled: true }), group('hello-prod-eu', null, [], { artifact: null })],
    });
    expect(second.json).toEqual({ account: agent.account, serverGroups: 2, instances: 2 });
    const after = await groupsOf(agent.account);
    expect(after.map((g) => [g.name, g.sequence, g.disabled, g.artifact])).toEqual([
      ['hello-prod-eu', null, 0, null],
      ['hello-prod-eu-v002', 2, 1, '{"type":"process","version":"hello 1.0.0"}'],
    ]);
    expect(after[1]!.id).toBe(v2);
    expect((await instancesOf(agent.account)).map((i) => i.name)).toEqual(['hello-prod-eu-v002-c', 'hello-prod-eu-v002-d']);

    // An empty report empties the account.
    expect((await report(agent, { account: agent.account, serverGroups: [] })).json).toEqual({ account: agent.account, serverGroups: 0, instances: 0 });
    expect(await groupsOf(agent.account)).toEqual([]);
  });

  it("leaves other accounts' inventory alone", async () => {
    const a = await registeredAgent();
    const b = await registeredAgent();
    await report(b, { account: b.account, serverGroups: [group('hello-prod-eu-v001', 1, ['x'])] });
    await report(a, { account: a.account, serverGroups: [group('hello-prod-eu-v001', 1, ['x'])] });
    await report(a, { account: a.account, serverGroups: [] });
    expect(await instancesOf(b.account)).toHaveLength(1);
  });

  it('refuses with 403 a report for an account the agent does not serve, writing nothing', async () => {
    const agent = await registeredAgent();
    const other = await registeredAgent();
    await report(other, { account: other.account, serverGroups: [group('hello-prod-eu-v001', 1, ['x'])] });
    const before = await counts();
    for (const account of [other.account, 'nobody']) {
      const res = await report(agent, { account, serverGroups: [] });
      expect(res.status).toBe(403);
      expect(res.json.error).toEqual({ code: 'forbidden', message: `this agent does not serve account "${account}"`, requestId: expect.any(String) });
    }
    expect(await counts()).toEqual(before);
    expect(await groupsOf(other.account)).toHaveLength(1);
  });

  it.each([
    [{ serverGroups: [group('g-v001', 1, ['a'], { capacity: { min: 1, max: 1, desired: -1 } })] }, 'serverGroups[0].capacity.desired'],
    [{ serverGroups: [group('g-v001', 1, [], { moniker: { app: 'hello', sequence: 1 } })] }, 'serverGroups[0].moniker.cluster'],
    [{ serverGroups: [{ ...group('g-v001', 1, ['a']), instances: [{ id: 'a', name: 'a', health: 'Sleepy' }] }] }, 'serverGroups[0].instances[0].health'],
    [{ serverGroups: [group('g-v001', 1, []), group('g-v001', 1, [])] }, 'serverGroups[1].name'],
    [{ serverGroups: [group('g-v001', 1, ['a', 'a'])] }, 'serverGroups[0].instances[1].id'],
    [{ serverGroups: [], extra: true }, 'extra'],
    [{ account: undefined, serverGroups: [] }, 'account'],
  ])('refuses a malformed report with 400 naming the field (%#), writing nothing', async (body, field) => {
    const agent = await registeredAgent();
    await report(agent, { account: agent.account, serverGroups: [group('keep-v001', 1, ['k'])] });
    const before = await counts();
    const res = await report(agent, { account: agent.account, ...body });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'validation_failed', field });
    expect(await counts()).toEqual(before);
    expect((await groupsOf(agent.account)).map((g) => g.name)).toEqual(['keep-v001']);
  });
});

describe('POST /inventory: load balancers', () => {
  it("replaces the account's load balancers and refuses one reported twice", async () => {
    const agent = await registeredAgent();
    const lb = { name: 'hello-prod', location: 'eu', address: 'http://127.0.0.1:9100', serverGroups: ['hello-prod-eu-v001'] };
    const ok = await report(agent, { account: agent.account, serverGroups: [group('hello-prod-eu-v001', 1, ['a'])], loadBalancers: [lb] });
    expect(ok.status).toBe(200);
    const rows = async () => (await env.DB.prepare('SELECT name, address, server_groups FROM load_balancers WHERE account = ?').bind(agent.account).all()).results;
    expect(await rows()).toEqual([{ name: 'hello-prod', address: 'http://127.0.0.1:9100', server_groups: '["hello-prod-eu-v001"]' }]);
    const twice = await report(agent, { account: agent.account, serverGroups: [], loadBalancers: [lb, lb] });
    expect(twice.status).toBe(400);
    expect(twice.json.error.field).toBe('loadBalancers[1].name');
    expect(await rows()).toHaveLength(1);
    const gone = await report(agent, { account: agent.account, serverGroups: [], loadBalancers: [] });
    expect(gone.status).toBe(200);
    expect(await rows()).toEqual([]);
  });
});
