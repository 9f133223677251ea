import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../scripts/stack.mjs';
import { agentCommand } from '../scripts/stack/agent.mjs';
import { processesOf } from '../scripts/stack/proc.ts';

const PORT = 8788;
let stack: Stack;
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-agent-stack-'));
  stack = await startStack({ port: PORT, stateDir, agent: false, seed: false });
});
afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

/** The agent CLI as a real child process, in its own process group, with its output as lines. */
class AgentRun {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exit: Promise<number | null>;
  constructor(args: string[]) {
    const [command, commandArgs] = agentCommand(args);
    this.child = spawn(command, commandArgs, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) createInterface({ input: stream }).on('line', (l) => this.lines.push(l));
    this.exit = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }
  get output() {
    return this.lines.join('\n');
  }
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.lines.some((l) => pattern.test(l))) {
      if (this.child.exitCode !== null) throw new Error(`agent exited (${this.child.exitCode}) before ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs}ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
const runs: AgentRun[] = [];
const agent = (args: string[]) => {
  const run = new AgentRun(args);
  runs.push(run);
  return run;
};
afterEach(async () => {
  for (const run of runs.splice(0)) {
    if (run.child.exitCode === null) {
      process.kill(-run.child.pid!, 'SIGKILL');
      await run.exit;
    }
  }
});

async function call(method: string, p: string, opts: { token?: string; body?: unknown } = {}) {
  const res = await fetch(`${stack.url}${p}`, {
    method,
    headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...(opts.body ? { 'Content-Type': 'application/json' } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as any };
}
const installToken = async () => (await call('POST', '/api/v1/agents/install-tokens', { token: stack.adminToken, body: {} })).json.token as string;
const agents = async () => (await call('GET', '/api/v1/agents', { token: stack.adminToken })).json.items as any[];

describe('gennaker-agent against the real local stack', () => {
  const stateFile = () => path.join(stateDir, 'agent-e2e.json');
  let token: string;
  let agentId: string;

  it('registers with a one-time install token, is online with account local, and keeps the credential to itself', async () => {
    token = await installToken();
    const run = agent(['--server', stack.url, '--token', token, '--state', stateFile(), '--name', 'e2e-agent']);
    await run.waitFor(/^online; heartbeat every 15s$/);

    const state = JSON.parse(await readFile(stateFile(), 'utf8'));
    agentId = state.agentId;
    expect(state).toMatchObject({ server: stack.url, name: 'e2e-agent', credential: expect.stringMatching(/^gna_/) });
    expect((await stat(stateFile())).mode & 0o777).toBe(0o600);
    expect(run.output).not.toContain(state.credential);
    expect(run.output).toContain(`registered with ${stack.url} as "e2e-agent" (agent ${agentId}); accounts: local (local: local)`);

    expect(await agents()).toEqual([
      expect.objectContaining({
        id: agentId,
        name: 'e2e-agent',
        status: 'online',
        version: '0.1.0',
        hostname: os.hostname(),
        accounts: [{ name: 'local', provider: 'local', locations: ['local'] }],
      }),
    ]);
  });

  it('the install token cannot be used again, by the protocol or by the CLI', async () => {
    const again = await call('POST', '/api/agent/v1/register', { body: { installToken: token, name: 'thief', version: '1', accounts: [] } });
    expect(again.status).toBe(401);
    expect(again.json.error).toMatchObject({ code: 'unauthorized', message: 'install token was already used; create a new one' });

    const otherState = path.join(stateDir, 'agent-reuse.json');
    const run = agent(['--server', stack.url, '--token', token, '--state', otherState, '--name', 'reuse']);
    expect(await run.exit).toBe(1);
    expect(run.lines.at(-1)).toBe(`gennaker-agent: ${stack.url} refused the registration: install token was already used; create a new one`);
    await expect(stat(otherState)).rejects.toThrow(/ENOENT/);
    expect((await agents()).map((a) => a.id)).toEqual([agentId]);
  });

  it('SIGINT stops it cleanly, and a restart with its state file does not register again', async () => {
    const first = agent(['--state', stateFile()]);
    await first.waitFor(/^online/);
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(0);
    expect(first.lines.at(-1)).toBe('stopped');

    const seenBefore = Date.parse((await agents())[0].lastSeenAt);
    const restarted = agent(['--state', stateFile()]);
    await restarted.waitFor(/^online/);
    expect(restarted.output).not.toMatch(/registered/);
    const list = await agents();
    expect(list.map((a) => a.id)).toEqual([agentId]);
    expect(list[0].status).toBe('online');
    expect(Date.parse(list[0].lastSeenAt)).toBeGreaterThan(seenBefore);
  });

  it('a credential the edge does not know ends the agent with a clear error', async () => {
    const state = JSON.parse(await readFile(stateFile(), 'utf8'));
    const forged = path.join(stateDir, 'agent-forged.json');
    await writeFile(forged, JSON.stringify({ ...state, credential: `gna_${state.agentId}_${'A'.repeat(32)}` }), { mode: 0o600 });
    const run = agent(['--state', forged]);
    expect(await run.exit).toBe(1);
    expect(run.lines.at(-1)).toBe(
      `gennaker-agent: ${stack.url} refused this agent's credential: unknown agent credential. Remove ${forged} and start again with a new install token`,
    );
  });

  it('a state file for another server is refused before anything is sent', async () => {
    const run = agent(['--server', 'http://localhost:1', '--state', stateFile()]);
    expect(await run.exit).toBe(1);
    expect(run.lines.at(-1)).toBe(`gennaker-agent: state file ${stateFile()} belongs to ${stack.url}, not http://localhost:1; use another --state for another server`);
  });
});

describe('stop()', () => {
  it('leaves no processes behind', async () => {
    expect(processesOf(stateDir).length).toBeGreaterThan(0);
    await stack.stop();
    expect(processesOf(stateDir)).toEqual([]);
    await expect(fetch(`${stack.url}/api/v1/health`)).rejects.toThrow();
  });
});
