import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startStack } from '../../scripts/stack.mjs';

const PORT = 8796;

async function call(url: string, token: string, method: string, p: string, body?: unknown) {
  const res = await fetch(`${url}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function waitFor(url: string, token: string, id: string, until: (e: any) => boolean, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await call(url, token, 'GET', `/executions/${id}`);
    if (until(json)) return json;
    if (Date.now() > end) throw new Error(`timed out: ${json.status} ${JSON.stringify(json.stages?.map((s: any) => [s.name, s.status]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('an execution survives a restart of the edge', () => {
  let stateDir = '';
  afterAll(async () => {
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('continues a pending wait and a pending manual judgment after wrangler dev is stopped and started again', async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-durable-'));
    let stack = await startStack({ port: PORT, stateDir, agent: false, seed: false });
    const { url, adminToken: token } = stack;
    expect((await call(url, token, 'POST', '/applications', { name: 'durable' })).status).toBe(201);
    const pipeline = await call(url, token, 'POST', '/applications/durable/pipelines', {
      name: 'survive',
      stages: [
        { refId: '1', type: 'wait', name: 'Soak', waitTime: 6 },
        { refId: '2', type: 'manualJudgment', name: 'Approve' },
        { refId: '3', type: 'wait', name: 'Done', waitTime: 0, requisiteStageRefIds: ['1', '2'] },
      ],
    });
    const started = await call(url, token, 'POST', `/pipelines/${pipeline.json.id}/executions`, {});
    const id = started.json.id as string;
    await waitFor(url, token, id, (e) => e.stages[0].status === 'RUNNING' && e.stages[1].status === 'RUNNING');

    // Stop the edge in the middle: the wait's alarm and the judgment are both pending.
    await stack.stop();
    stack = await startStack({ port: PORT, stateDir, agent: false, seed: false });
    try {
      const after = await call(stack.url, stack.adminToken, 'GET', `/executions/${id}`);
      expect(after.json.status).toBe('RUNNING');
      // The wait ends by itself (its timer survived the restart)…
      const waited = await waitFor(stack.url, stack.adminToken, id, (e) => e.stages[0].status === 'SUCCEEDED');
      expect(waited.stages[1].status).toBe('RUNNING');
      // …and the judgment is still there to be made.
      const judged = await call(stack.url, stack.adminToken, 'POST', `/executions/${id}/stages/${waited.stages[1].id}/judgment`, { judgmentStatus: 'continue' });
      expect(judged.status).toBe(202);
      const done = await waitFor(stack.url, stack.adminToken, id, (e) => e.status === 'SUCCEEDED');
      expect(done.stages.map((s: any) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    } finally {
      await stack.stop();
    }
  });
});
