import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminToken, api, rowCount } from '../test/client.ts';

let n = 0;
async function setup(config: Record<string, unknown>) {
  const token = await adminToken();
  const app = `exec${Date.now().toString(36)}${n++}`;
  expect((await api('POST', '/applications', { token, body: { name: app } })).status).toBe(201);
  const created = await api('POST', `/applications/${app}/pipelines`, { token, body: config });
  expect(created.status).toBe(201);
  return { token, app, pipelineId: created.json.id as string };
}

/** Polls the execution until `until` holds (the Durable Objects run it for real). */
async function waitFor(token: string, id: string, until: (e: any) => boolean, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await api('GET', `/executions/${id}`, { token });
    if (until(res.json)) return res.json;
    if (Date.now() > end) throw new Error(`timed out; execution is ${JSON.stringify(res.json.status)} ${JSON.stringify(res.json.stages?.map((s: any) => [s.refId, s.status]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('executions through the API and the Durable Objects', () => {
  it('starts, waits for a judgment, continues on approval and succeeds', async () => {
    const { token, pipelineId } = await setup({
      name: 'approve',
      stages: [
        { refId: '1', type: 'wait', name: 'Settle', waitTime: 0 },
        { refId: '2', requisiteStageRefIds: ['1'], type: 'manualJudgment', name: 'Approve', judgmentInputs: [{ value: 'ship' }] },
      ],
    });
    const started = await api('POST', `/pipelines/${pipelineId}/executions`, { token, body: {} });
    expect(started.status).toBe(201);
    expect(started.json.trigger).toMatchObject({ type: 'api', user: 'token:bootstrap-admin' });
    const id = started.json.id;
    const waiting = await waitFor(token, id, (e) => e.stages[1].status === 'RUNNING');
    const judgment = waiting.stages[1];
    const bad = await api('POST', `/executions/${id}/stages/${judgment.id}/judgment`, { token, body: { judgmentStatus: 'continue', input: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('input');
    const ok = await api('POST', `/executions/${id}/stages/${judgment.id}/judgment`, { token, body: { judgmentStatus: 'continue', input: 'ship' } });
    expect(ok.status).toBe(202);
    const done = await waitFor(token, id, (e) => e.status === 'SUCCEEDED');
    expect(done.stages[1].outputs).toMatchObject({ judgmentStatus: 'continue', judgmentInput: 'ship', judgedBy: 'token:bootstrap-admin' });
    const again = await api('POST', `/executions/${id}/stages/${judgment.id}/judgment`, { token, body: { judgmentStatus: 'stop' } });
    expect(again.status).toBe(409);
  });

  it('refuses a missing required parameter by name and stores nothing', async () => {
    const { token, pipelineId } = await setup({ name: 'params', parameterConfig: [{ name: 'env', required: true, options: [{ value: 'staging' }, { value: 'prod' }] }], stages: [] });
    const before = await rowCount('executions');
    const missing = await api('POST', `/pipelines/${pipelineId}/executions`, { token, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.json.error.field).toBe('parameters.env');
    const outside = await api('POST', `/pipelines/${pipelineId}/executions`, { token, body: { parameters: { env: 'dev' } } });
    expect(outside.status).toBe(400);
    expect(outside.json.error.message).toContain('"dev" is not one of');
    expect(await rowCount('executions')).toBe(before);
  });

  it('keeps a second execution of a limitConcurrent pipeline NOT_STARTED until the first ends', async () => {
    const { token, pipelineId } = await setup({ name: 'limited', limitConcurrent: true, stages: [{ refId: '1', type: 'manualJudgment', name: 'Hold' }] });
    const [a, b] = await Promise.all([
      api('POST', `/pipelines/${pipelineId}/executions`, { token, body: {} }),
      api('POST', `/pipelines/${pipelineId}/executions`, { token, body: {} }),
    ]);
    const statuses = [a.json.status, b.json.status].sort();
    expect(statuses).toEqual(['NOT_STARTED', 'RUNNING']);
    const [running, waiting] = a.json.status === 'RUNNING' ? [a.json, b.json] : [b.json, a.json];
    expect(waiting.queuePosition).toBe(1);
    const detail = await waitFor(token, running.id, (e) => e.stages[0].status === 'RUNNING');
    await api('POST', `/executions/${running.id}/stages/${detail.stages[0].id}/judgment`, { token, body: { judgmentStatus: 'continue' } });
    await waitFor(token, running.id, (e) => e.status === 'SUCCEEDED');
    await waitFor(token, waiting.id, (e) => e.status === 'RUNNING');
    const cancel = await api('POST', `/executions/${waiting.id}/cancel`, { token, body: { reason: 'enough' } });
    expect(cancel.status).toBe(202);
    const canceled = await waitFor(token, waiting.id, (e) => e.status === 'CANCELED');
    expect(canceled).toMatchObject({ canceledBy: 'token:bootstrap-admin', cancelReason: 'enough' });
    expect(canceled.stages[0].status).toBe('CANCELED');
  });

  it('lists executions newest first with a status filter and a cursor', async () => {
    const { token, app, pipelineId } = await setup({ name: 'many', limitConcurrent: false, stages: [] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api('POST', `/pipelines/${pipelineId}/executions`, { token, body: {} })).json.id);
    for (const id of ids) await waitFor(token, id, (e) => e.status === 'SUCCEEDED');
    const page1 = await api('GET', `/applications/${app}/executions?limit=3&status=SUCCEEDED`, { token });
    expect(page1.json.items.map((e: any) => e.id)).toEqual(ids.slice(-3).reverse());
    const page2 = await api('GET', `/applications/${app}/executions?limit=3&status=SUCCEEDED&cursor=${page1.json.nextCursor}`, { token });
    expect(page2.json.items.map((e: any) => e.id)).toEqual(ids.slice(0, 2).reverse());
    expect(page2.json.nextCursor).toBeNull();
    const none = await api('GET', `/pipelines/${pipelineId}/executions?status=RUNNING`, { token });
    expect(none.json.items).toEqual([]);
    const bad = await api('GET', `/pipelines/${pipelineId}/executions?status=DONE`, { token });
    expect(bad.json.error.field).toBe('status');
  });

  it('lists a full page of 200 executions, each with its own stages', async () => {
    const { token, app, pipelineId } = await setup({ name: 'crowded', stages: [] });
    // Written straight to D1: starting 210 through the engine would take the test's whole budget.
    const now = Date.now();
    const rows = Array.from({ length: 210 }, (_, i) => ({ id: crypto.randomUUID(), at: now - i * 1000 }));
    await env.DB.batch(
      rows.flatMap((r, i) => [
        env.DB.prepare(
          `INSERT INTO executions (id, application, pipeline_id, name, status, config, trigger, created_at, started_at, ended_at, updated_at)
           VALUES (?, ?, ?, 'crowded', 'SUCCEEDED', '{"stages":[]}', '{"type":"api","user":"t","parameters":{}}', ?, ?, ?, ?)`,
        ).bind(r.id, app, pipelineId, r.at, r.at, r.at, r.at),
        env.DB.prepare(
          `INSERT INTO stages (id, execution_id, ref_id, type, name, status, requisite_stage_ref_ids, context, started_at, updated_at)
           VALUES (?, ?, '1', 'wait', ?, 'SUCCEEDED', '[]', '{}', ?, ?)`,
        ).bind(crypto.randomUUID(), r.id, `stage of ${i}`, r.at, r.at),
      ]),
    );
    for (const path of [`/applications/${app}/executions`, `/pipelines/${pipelineId}/executions`]) {
      const page = await api('GET', `${path}?limit=200`, { token });
      expect(page.status).toBe(200);
      expect(page.json.items.map((e: any) => e.id)).toEqual(rows.slice(0, 200).map((r) => r.id));
      expect(page.json.items.map((e: any) => e.stages.map((st: any) => st.name))).toEqual(rows.slice(0, 200).map((_, i) => [`stage of ${i}`]));
      const rest = await api('GET', `${path}?limit=200&cursor=${page.json.nextCursor}`, { token });
      expect(rest.json.items.map((e: any) => e.id)).toEqual(rows.slice(200).map((r) => r.id));
      expect(rest.json.nextCursor).toBeNull();
    }
  });
});
