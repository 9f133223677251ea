/**
 * `POST /inventory`: an agent's full picture of one account replaces what D1 holds for it, in
 * one batch. Server groups keep their ids across reports (upsert on account, location, name).
 */
import { createRoute } from '@hono/zod-openapi';
import { inventoryAccepted } from '../../contract/agent-protocol.ts';
import { inventoryReport, type InventoryReport, type ServerGroupSnapshot } from '../../contract/operations.ts';
import { badRequest, forbidden } from '../errors.ts';
import { jsonBody, jsonResponse, router } from '../lib/router.ts';
import { agentAuth, type AgentEnv } from './auth.ts';

const report = createRoute({
  method: 'post', path: '/inventory', tags: ['agent protocol'], middleware: [agentAuth],
  request: { body: jsonBody(inventoryReport) },
  responses: { 200: jsonResponse(inventoryAccepted, "The account's server groups and instances were replaced") },
});

export const inventoryApi = router<AgentEnv>().openapi(report, async (c) => {
  const body = c.req.valid('json');
  const agentId = c.get('agentId');
  assertUnique(body);
  const owner = await c.env.DB.prepare('SELECT agent_id FROM accounts WHERE name = ?').bind(body.account).first<{ agent_id: string | null }>();
  if (owner?.agent_id !== agentId) throw forbidden(`this agent does not serve account "${body.account}"`);
  const results = await c.env.DB.batch(inventoryStatements(c.env.DB, agentId, body, Date.now()));
  // The batch re-checks ownership; an account moved to another agent meanwhile writes nothing
  // (statement 2 is the server-group upsert).
  if (results[2]!.meta.changes !== body.serverGroups.length) throw forbidden(`this agent does not serve account "${body.account}"`);
  const instances = body.serverGroups.reduce((n, g) => n + g.instances.length, 0);
  return c.json({ account: body.account, serverGroups: body.serverGroups.length, instances }, 200);
});

/**
 * Upserts the given server groups of an account and inserts their instances (the caller removes
 * old instances first), each statement guarded by the agent still serving the account. Shared by
 * inventory reports and task completions, whose result carries the group as it now is.
 */
export function groupStatements(d1: D1Database, agentId: string, acct: string, snapshots: readonly ServerGroupSnapshot[], now: number) {
  const owned = 'EXISTS (SELECT 1 FROM accounts WHERE name = ? AND agent_id = ?)';
  const groups = snapshots.map((g) => ({
    id: crypto.randomUUID(),
    location: g.location,
    name: g.name,
    application: g.moniker.app,
    cluster: g.moniker.cluster,
    stack: g.moniker.stack,
    detail: g.moniker.detail,
    sequence: g.moniker.sequence,
    disabled: g.disabled ? 1 : 0,
    capacity: g.capacity,
    artifact: g.artifact,
    loadBalancers: g.loadBalancers,
    createdAt: g.createdAt,
  }));
  const instances = snapshots.flatMap((g) =>
    g.instances.map((i) => ({ location: g.location, group: g.name, id: i.id, name: i.name, health: i.health, address: i.address, launchedAt: i.launchedAt })),
  );
  return {
    upsert: d1
      .prepare(
        `INSERT INTO server_groups (id, account, location, name, application, cluster, stack, detail, sequence, disabled, capacity, artifact, load_balancers, created_at, reported_at)
         SELECT g.value ->> 'id', ?, g.value ->> 'location', g.value ->> 'name', g.value ->> 'application', g.value ->> 'cluster', g.value ->> 'stack',
           g.value ->> 'detail', g.value ->> 'sequence', g.value ->> 'disabled', g.value -> 'capacity', NULLIF(g.value -> 'artifact', 'null'),
           g.value -> 'loadBalancers', g.value ->> 'createdAt', ?
         FROM json_each(?) g WHERE ${owned}
         ON CONFLICT (account, location, name) DO UPDATE SET application = excluded.application, cluster = excluded.cluster, stack = excluded.stack,
           detail = excluded.detail, sequence = excluded.sequence, disabled = excluded.disabled, capacity = excluded.capacity, artifact = excluded.artifact,
           load_balancers = excluded.load_balancers, created_at = excluded.created_at, reported_at = excluded.reported_at`,
      )
      .bind(acct, now, JSON.stringify(groups), acct, agentId),
    instances: d1
      .prepare(
        `INSERT INTO instances (id, server_group_id, name, health, address, launched_at, reported_at)
         SELECT sg.id || ':' || (i.value ->> 'id'), sg.id, i.value ->> 'name', i.value ->> 'health', i.value ->> 'address', i.value ->> 'launchedAt', ?
         FROM json_each(?) i JOIN server_groups sg ON sg.account = ? AND sg.location = i.value ->> 'location' AND sg.name = i.value ->> 'group'
         WHERE ${owned}`,
      )
      .bind(now, JSON.stringify(instances), acct, acct, agentId),
  };
}

/**
 * What a finished task did to one server group, written at once so the next plan (a second
 * deploy right after the first) sees it without waiting for the next inventory report.
 */
export function taskOutcomeStatements(d1: D1Database, agentId: string, acct: string, outcome: { serverGroup: ServerGroupSnapshot | null; destroyed?: { location: string; name: string } }, now: number): D1PreparedStatement[] {
  const owned = 'EXISTS (SELECT 1 FROM accounts WHERE name = ? AND agent_id = ?)';
  const target = outcome.serverGroup ?? outcome.destroyed;
  if (!target) return [];
  const dropInstances = d1
    .prepare(`DELETE FROM instances WHERE server_group_id IN (SELECT id FROM server_groups WHERE account = ? AND location = ? AND name = ?) AND ${owned}`)
    .bind(acct, target.location, target.name, acct, agentId);
  if (!outcome.serverGroup) {
    return [dropInstances, d1.prepare(`DELETE FROM server_groups WHERE account = ? AND location = ? AND name = ? AND ${owned}`).bind(acct, target.location, target.name, acct, agentId)];
  }
  const { upsert, instances } = groupStatements(d1, agentId, acct, [outcome.serverGroup], now);
  return [dropInstances, upsert, instances];
}

/** Two groups with one name in one location, or one instance id twice in a group, cannot both be stored. */
function assertUnique(body: InventoryReport): void {
  const groups = new Set<string>();
  for (const [i, g] of body.serverGroups.entries()) {
    const key = `${g.location}\n${g.name}`;
    if (groups.has(key)) throw badRequest(`serverGroups[${i}].name`, `server group "${g.name}" in location "${g.location}" is reported twice`);
    groups.add(key);
    const ids = new Set<string>();
    for (const [j, inst] of g.instances.entries()) {
      if (ids.has(inst.id)) throw badRequest(`serverGroups[${i}].instances[${j}].id`, `instance "${inst.id}" is reported twice in server group "${g.name}"`);
      ids.add(inst.id);
    }
  }
  const balancers = new Set<string>();
  for (const [i, lb] of body.loadBalancers.entries()) {
    const key = `${lb.location}\n${lb.name}`;
    if (balancers.has(key)) throw badRequest(`loadBalancers[${i}].name`, `load balancer "${lb.name}" in location "${lb.location}" is reported twice`);
    balancers.add(key);
  }
}

/**
 * The replacement as six statements, each guarded by the agent still serving the account:
 * drop the account's instances, drop groups no longer reported, upsert the reported groups,
 * insert their instances (id `<server group id>:<instance id>`, unique across accounts), then the
 * account's load balancers likewise. Rows
 * travel as one JSON parameter, so the statement count does not grow with the report.
 */
function inventoryStatements(d1: D1Database, agentId: string, body: InventoryReport, now: number): D1PreparedStatement[] {
  const owned = 'EXISTS (SELECT 1 FROM accounts WHERE name = ? AND agent_id = ?)';
  const acct = body.account;
  const { upsert, instances } = groupStatements(d1, agentId, acct, body.serverGroups, now);
  return [
    d1.prepare(`DELETE FROM instances WHERE server_group_id IN (SELECT id FROM server_groups WHERE account = ?) AND ${owned}`).bind(acct, acct, agentId),
    d1
      .prepare(
        `DELETE FROM server_groups WHERE account = ? AND ${owned}
         AND NOT EXISTS (SELECT 1 FROM json_each(?) g WHERE g.value ->> 'location' = server_groups.location AND g.value ->> 'name' = server_groups.name)`,
      )
      .bind(acct, acct, agentId, JSON.stringify(body.serverGroups.map((g) => ({ location: g.location, name: g.name })))),
    upsert,
    instances,
    d1.prepare(`DELETE FROM load_balancers WHERE account = ? AND ${owned}`).bind(acct, acct, agentId),
    d1
      .prepare(
        `INSERT INTO load_balancers (account, location, name, address, server_groups, reported_at)
         SELECT ?, l.value ->> 'location', l.value ->> 'name', l.value ->> 'address', l.value -> 'serverGroups', ?
         FROM json_each(?) l WHERE ${owned}`,
      )
      .bind(acct, now, JSON.stringify(body.loadBalancers), acct, agentId),
  ];
}
