import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import type { InventoryReport, LeasedTask } from '../contract/operations.ts';
import { FatalError, heartbeatLoop, obtainIdentity, retryDelayMs, runAgent, type AgentDeps, type RunDeps } from './agent.ts';
import type { AgentOptions } from './args.ts';
import { AgentApiError, type AgentRegistered, type HeartbeatAck, type TaskCompletionBody } from './client.ts';
import type { Provider } from './providers/provider.ts';
import { readState, type AgentState } from './state.ts';

type Outcome<T> = T | AgentApiError;

/** A scripted edge: each call takes the next outcome; the test stops the agent when the script ends. */
function harness(script: { register?: Outcome<AgentRegistered>[]; heartbeat?: Outcome<HeartbeatAck>[] }) {
  const stop = new AbortController();
  const lines: string[] = [];
  const sleeps: number[] = [];
  const calls: { register: unknown[]; heartbeat: { credential: string; version: string }[]; servers: string[] } = { register: [], heartbeat: [], servers: [] };
  const next = <T>(queue: Outcome<T>[] | undefined): T => {
    const outcome = queue?.shift();
    if (outcome === undefined) throw new Error('script exhausted');
    if (outcome instanceof AgentApiError) throw outcome;
    if (!queue?.length && queue === script.heartbeat) stop.abort();
    return outcome;
  };
  const deps: AgentDeps = {
    connect: (server) => {
      calls.servers.push(server);
      return {
        register: async (body) => (calls.register.push(body), next(script.register)),
        heartbeat: async (credential, version) => (calls.heartbeat.push({ credential, version }), next(script.heartbeat)),
      };
    },
    log: (line) => lines.push(line),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => new Date('2026-03-04T05:06:07.000Z'),
    version: '9.9.9',
    hostname: 'box',
  };
  return { deps, stop, lines, sleeps, calls };
}

const network = () => new AgentApiError('network', 'no answer to POST /heartbeat: ECONNREFUSED');
const ack: HeartbeatAck = { ok: true, serverTime: '2026-03-04T05:06:07.000Z', heartbeatIntervalSec: 15 };
const registered: AgentRegistered = { agentId: 'agent-1', credential: 'gna_secret', heartbeatIntervalSec: 15 };

const local = [{ name: 'local', provider: 'local' as const, locations: ['local'] }];
const saved: AgentState = { server: 'http://localhost:8787', agentId: 'old', name: 'edge-1', credential: 'gna_old', accounts: local, registeredAt: '2026-01-01T00:00:00.000Z' };

let dir: string;
let options: AgentOptions;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-agent-'));
  options = {
    server: 'http://localhost:8787',
    installToken: 'gni_token',
    name: 'edge-1',
    stateFile: path.join(dir, 'agent.json'),
    accounts: local,
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('retryDelayMs', () => {
  it.each([
    [0, 0, 500],
    [0, 1, 1000],
    [1, 0.5, 1500],
    [3, 0, 4000],
    [5, 1, 30_000],
    [50, 0, 15_000],
    [50, 1, 30_000],
  ])('attempt %i with random %f waits %i ms', (attempt, random, ms) => {
    expect(retryDelayMs(attempt, () => random)).toBe(ms);
  });
});

describe('obtainIdentity', () => {
  it('registers with the install token and saves the identity before going on', async () => {
    const h = harness({ register: [registered] });
    const state = await obtainIdentity(options, null, h.deps, h.stop.signal);
    const expected: AgentState = { server: 'http://localhost:8787', agentId: 'agent-1', name: 'edge-1', credential: 'gna_secret', accounts: local, registeredAt: '2026-03-04T05:06:07.000Z' };
    expect(state).toEqual(expected);
    expect(await readState(options.stateFile)).toEqual(expected);
    expect(h.calls.register).toEqual([{ installToken: 'gni_token', name: 'edge-1', version: '9.9.9', hostname: 'box', accounts: options.accounts }]);
    expect(h.lines).toEqual(['registered with http://localhost:8787 as "edge-1" (agent agent-1); accounts: local (local: local)']);
  });

  it('registers as the host name, serving account local, unless told otherwise', async () => {
    const h = harness({ register: [registered] });
    const state = await obtainIdentity({ ...options, name: undefined, accounts: undefined }, null, h.deps, h.stop.signal);
    expect(h.calls.register).toEqual([expect.objectContaining({ name: 'box', accounts: [{ name: 'local', provider: 'local', locations: ['local'] }] })]);
    expect(state).toMatchObject({ name: 'box', accounts: local });
  });

  it('keeps trying while the edge cannot be reached', async () => {
    const h = harness({ register: [network(), new AgentApiError('server', 'internal error', 503), registered] });
    expect((await obtainIdentity(options, null, h.deps, h.stop.signal))?.agentId).toBe('agent-1');
    expect(h.sleeps).toEqual([750, 1500]);
    expect(h.lines[0]).toBe('cannot register yet (no answer to POST /heartbeat: ECONNREFUSED); retrying in 0.8s');
  });

  it("stops with the edge's message when the token is refused, and saves nothing", async () => {
    const h = harness({ register: [new AgentApiError('refused', 'install token was already used; create a new one', 401, 'unauthorized')] });
    const err = await obtainIdentity(options, null, h.deps, h.stop.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalError);
    expect((err as Error).message).toBe('http://localhost:8787 refused the registration: install token was already used; create a new one');
    expect(h.calls.register).toHaveLength(1);
    expect(await readState(options.stateFile)).toBeNull();
  });

  it('skips registration when the state file has an identity', async () => {
    const h = harness({});
    expect(await obtainIdentity({ ...options, installToken: undefined }, saved, h.deps, h.stop.signal)).toBe(saved);
    expect(await obtainIdentity({ ...options, server: undefined, installToken: undefined }, saved, h.deps, h.stop.signal)).toBe(saved);
    expect(h.calls.register).toEqual([]);
  });

  it('says what it ignores when already registered: the install token, another name, other accounts', async () => {
    const h = harness({});
    await obtainIdentity(options, saved, h.deps, h.stop.signal);
    expect(h.lines).toEqual([`already registered as "edge-1" (state file ${options.stateFile}); the install token is not used`]);
    h.lines.length = 0;
    const k8s = [{ name: 'prod', provider: 'kubernetes' as const, locations: ['eu'] }];
    expect(await obtainIdentity({ ...options, installToken: undefined, name: 'renamed', accounts: k8s }, saved, h.deps, h.stop.signal)).toBe(saved);
    expect(h.lines).toEqual([
      '--name "renamed" is ignored: this agent registered as "edge-1"',
      `--account is ignored: this agent registered with accounts: local (local: local); to change accounts, remove ${options.stateFile} and register again with a new install token`,
    ]);
  });

  it('refuses a state file of another server', async () => {
    const h = harness({});
    await expect(obtainIdentity(options, { ...saved, server: 'https://other.example.com' }, h.deps, h.stop.signal)).rejects.toThrow(
      /belongs to https:\/\/other.example.com, not http:\/\/localhost:8787/,
    );
  });

  it.each([
    ['server', { server: undefined }],
    ['token', { installToken: undefined }],
  ])('needs --server and --token on a first start (no %s)', async (_, missing) => {
    const h = harness({ register: [registered] });
    await expect(obtainIdentity({ ...options, ...missing }, null, h.deps, h.stop.signal)).rejects.toThrow(/first start: it needs --server and --token/);
    expect(h.calls.register).toEqual([]);
  });

  it('does not spend the install token when the state file cannot be written', async () => {
    const h = harness({ register: [registered] });
    const blocked = path.join(dir, 'file');
    await writeFile(blocked, '');
    await expect(obtainIdentity({ ...options, stateFile: path.join(blocked, 'agent.json') }, null, h.deps, h.stop.signal)).rejects.toThrow(/cannot write the state file's directory/);
    expect(h.calls.register).toEqual([]);
  });
});

describe('heartbeatLoop', () => {
  const state: AgentState = { ...saved, agentId: 'agent-1', credential: 'gna_secret' };

  it('heartbeats with its credential at the interval the edge asks for', async () => {
    const h = harness({ heartbeat: [ack, { ...ack, heartbeatIntervalSec: 5 }, ack] });
    await heartbeatLoop(state, 'agent.json', h.deps, h.stop.signal);
    expect(h.calls.heartbeat).toEqual([
      { credential: 'gna_secret', version: '9.9.9' },
      { credential: 'gna_secret', version: '9.9.9' },
      { credential: 'gna_secret', version: '9.9.9' },
    ]);
    expect(h.sleeps).toEqual([15_000, 5_000, 15_000]);
    expect(h.calls.servers).toEqual(['http://localhost:8787']);
    expect(h.lines).toEqual(['online; heartbeat every 15s']);
  });

  it('backs off while the edge is unreachable and says when it is back', async () => {
    const h = harness({ heartbeat: [ack, network(), network(), new AgentApiError('server', 'bad gateway', 502), ack] });
    await heartbeatLoop(state, 'agent.json', h.deps, h.stop.signal);
    expect(h.sleeps).toEqual([15_000, 750, 1500, 3000, 15_000]);
    expect(h.lines.at(-1)).toBe('back in contact with http://localhost:8787');
    expect(h.lines).toHaveLength(5);
  });

  it('stops with a clear message when the credential is refused', async () => {
    const h = harness({ heartbeat: [ack, new AgentApiError('refused', 'agent "edge-1" was revoked', 401, 'unauthorized')] });
    await expect(heartbeatLoop(state, '/etc/agent.json', h.deps, h.stop.signal)).rejects.toThrow(
      new FatalError('http://localhost:8787 refused this agent\'s credential: agent "edge-1" was revoked. Remove /etc/agent.json and start again with a new install token'),
    );
  });

  it('returns once stopped', async () => {
    const h = harness({ heartbeat: [ack, ack] });
    h.stop.abort();
    await heartbeatLoop(state, 'agent.json', h.deps, h.stop.signal);
    expect(h.calls.heartbeat).toEqual([]);
  });
});

describe('runAgent', () => {
  const state: AgentState = {
    ...saved,
    agentId: 'agent-1',
    credential: 'gna_secret',
    accounts: [...local, { name: 'edge', provider: 'local', locations: ['local'] }, { name: 'k8s', provider: 'kubernetes', locations: ['eu'] }],
  };

  /** An agent against a scripted edge: polls hand out `tasks` once, then wait until stopped. */
  function world(opts: { heartbeat?: () => Promise<HeartbeatAck>; tasks?: LeasedTask[] } = {}) {
    const stop = new AbortController();
    const lines: string[] = [];
    const reports: InventoryReport[] = [];
    const completions: { id: string; body: TaskCompletionBody }[] = [];
    let closed = 0;
    const tasks = [...(opts.tasks ?? [])];
    const provider = {
      type: 'local',
      inventory: async (account: string) => ({ account, serverGroups: [], loadBalancers: [] }),
      onChange: () => undefined,
      destroyServerGroup: async (_: unknown, log: (l: string) => void) => log('destroyed'),
      close: async () => void closed++,
    } as unknown as Provider;
    const deps: RunDeps = {
      connect: () => ({
        register: async () => registered,
        heartbeat: opts.heartbeat ?? (async () => ack),
        pollTasks: async (_c, _b, signal) => {
          if (tasks.length) return tasks.splice(0);
          await delay(50, undefined, { signal }).catch(() => undefined);
          return [];
        },
        heartbeatTask: async () => ({ leaseExpiresAt: 0 }),
        completeTask: async (_c, id, body) => (completions.push({ id, body }), { status: body.ok ? 'SUCCEEDED' : 'FAILED' }),
        reportInventory: async (_c, report) => (reports.push(report), { account: report.account, serverGroups: 0, instances: 0 }),
      }),
      openProviders: async (accounts) => new Map(accounts.filter((a) => a.provider === 'local').map((a) => [a.name, provider])),
      log: (line) => lines.push(line),
      sleep: async (ms, signal) => void (await delay(ms, undefined, { signal }).catch(() => undefined)),
      random: () => 0.5,
      now: () => new Date(),
      version: '9.9.9',
      hostname: 'box',
    };
    return { deps, stop, lines, reports, completions, closed: () => closed };
  }

  it('heartbeats, reports each account with a provider, runs tasks, and closes providers once when stopped', async () => {
    const task: LeasedTask = {
      id: 'task-1', operation: 'destroyServerGroup', account: 'local', payload: { account: 'local', location: 'local', serverGroupName: 'hello-v001' },
      attempt: 1, leaseExpiresAt: 0, idempotencyKey: 'key-1',
    };
    const w = world({ tasks: [task] });
    const running = runAgent(state, 'agent.json', w.deps, w.stop.signal);
    while (w.completions.length === 0 || w.reports.length < 2) await delay(5);
    w.stop.abort();
    await running;
    expect(w.lines[0]).toBe('online; heartbeat every 15s');
    expect(w.reports.map((r) => r.account).sort()).toEqual(['edge', 'local']);
    expect(w.completions).toEqual([{ id: 'task-1', body: { idempotencyKey: 'key-1', ok: true, result: { serverGroup: null, details: {} }, logs: ['destroyed'] } }]);
    expect(w.closed()).toBe(1);
  });

  it('stops the task loop and closes providers when the credential is refused', async () => {
    const w = world({ heartbeat: async () => Promise.reject(new AgentApiError('refused', 'unknown agent credential', 401, 'unauthorized')) });
    await expect(runAgent(state, 'agent.json', w.deps, w.stop.signal)).rejects.toThrow(FatalError);
    expect(w.closed()).toBe(1);
  });
});

