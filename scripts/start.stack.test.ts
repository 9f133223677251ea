import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, DEMO_APPLICATION, DEMO_CANARY_PIPELINE, DEMO_DEPLOY_PIPELINE, DEMO_PIPELINE, seedDemo, startStack, type Stack } from './stack.mjs';
import { processesOf } from './stack/proc.ts';

const PORT = 8789;
let stack: Stack;
let stateDir: string;
const lines: string[] = [];

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-start-stack-'));
  stack = await startStack({ port: PORT, stateDir, seed: true, agent: true, log: (l) => lines.push(l) });
});
afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

async function get(p: string, token = stack.adminToken) {
  const res = await fetch(`${stack.url}${p}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}
const json = async (p: string) => JSON.parse((await get(p)).body);
const demoApps = async () => (await json(`/api/v1/applications?q=${DEMO_APPLICATION}`)).items.filter((a: any) => a.name === DEMO_APPLICATION);
const demoPipelines = async () => (await json(`/api/v1/applications/${DEMO_APPLICATION}/pipelines`)).items.map((p: any) => p.name);

describe('the local stack (what npm start runs)', () => {
  it('serves the console and the API on one port', async () => {
    expect(stack.url).toBe(`http://localhost:${PORT}`);
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(JSON.parse((await get('/api/v1/health')).body)).toMatchObject({ ok: true });
  });

  it('bootstraps an admin whose password signs in and whose token is admin', async () => {
    expect(stack.adminEmail).toBe(ADMIN_EMAIL);
    const login = await fetch(`${stack.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: stack.adminEmail, password: stack.adminPassword }),
    });
    expect(login.status).toBe(200);
    expect((await json('/api/v1/auth/session')).principal.scopes).toEqual(['admin']);
  });

  it('seeds the demo application and pipeline once, however often seeding runs', async () => {
    const [app] = await demoApps();
    expect(app).toMatchObject({ name: 'demo', email: ADMIN_EMAIL, description: expect.stringContaining('Demo') });
    expect(await demoPipelines()).toEqual([DEMO_CANARY_PIPELINE, DEMO_DEPLOY_PIPELINE, DEMO_PIPELINE].sort());

    expect(await seedDemo({ url: stack.url, token: stack.adminToken, ownerEmail: stack.adminEmail })).toEqual({ application: false, pipeline: false });
    expect(await demoApps()).toHaveLength(1);
    expect(await demoPipelines()).toEqual([DEMO_CANARY_PIPELINE, DEMO_DEPLOY_PIPELINE, DEMO_PIPELINE].sort());
  });

  it('has the local agent online, serving account local', async () => {
    expect(stack.agentProcess?.exitCode).toBeNull();
    const { items } = await json('/api/v1/agents');
    expect(items).toEqual([expect.objectContaining({ name: 'local-agent', status: 'online', accounts: [{ name: 'local', provider: 'local', locations: ['local'] }] })]);
    expect(lines).toContain(`Agent ${items[0].id} online`);
    expect(lines.some((l) => l.startsWith('[agent] '))).toBe(true);
  });

  it('restarts on the same state: same admin, same agent identity, demo data still once', async () => {
    const before = { token: stack.adminToken, password: stack.adminPassword, agents: (await json('/api/v1/agents')).items.map((a: any) => a.id) };
    await stack.stop();
    expect(processesOf(stateDir)).toEqual([]);

    stack = await startStack({ port: PORT, stateDir, seed: true, agent: true });
    expect({ token: stack.adminToken, password: stack.adminPassword }).toEqual({ token: before.token, password: before.password });
    const { items } = await json('/api/v1/agents');
    expect(items.map((a: any) => a.id)).toEqual(before.agents);
    expect(items[0].status).toBe('online');
    expect(await demoApps()).toHaveLength(1);
    expect(await demoPipelines()).toEqual([DEMO_CANARY_PIPELINE, DEMO_DEPLOY_PIPELINE, DEMO_PIPELINE].sort());
  });

  it('bootstraps again when the saved admin token no longer works', async () => {
    await stack.stop();
    await writeFile(path.join(stateDir, 'admin-token'), `gnk_${'A'.repeat(12)}_${'A'.repeat(32)}\n`);
    stack = await startStack({ port: PORT, stateDir, seed: false, agent: false });
    expect(stack.adminToken).not.toContain('AAAAAAAA');
    expect((await get('/api/v1/auth/session')).status).toBe(200);
  });

  it('stop() leaves no processes behind and frees the port', async () => {
    expect(processesOf(stateDir).length).toBeGreaterThan(0);
    await stack.stop();
    expect(processesOf(stateDir)).toEqual([]);
    await expect(fetch(`${stack.url}/api/v1/health`)).rejects.toThrow();
  });
});
