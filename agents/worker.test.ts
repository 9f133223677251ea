import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { InventoryReport, LeasedTask, OperationPayload, ServerGroupSnapshot } from '../contract/operations.ts';
import { AgentClient } from './client.ts';
import type { Provider, TaskLog } from './providers/provider.ts';
import { TaskWorker, type WorkerDeps, type WorkerOptions } from './worker.ts';

type Reply = { status: number; body: unknown } | 'drop';
type Seen = { path: string; body: any };

/** A stand-in edge speaking the task protocol: tasks handed out by long polls, scripted answers to the rest. */
class FakeEdge {
  readonly seen: Seen[] = [];
  readonly #queue: LeasedTask[] = [];
  #wake: (() => void)[] = [];
  heartbeat: (id: string, n: number) => Reply = () => ({ status: 200, body: { leaseExpiresAt: Date.now() + 30_000 } });
  complete: (id: string, n: number) => Reply = () => ({ status: 200, body: { status: 'SUCCEEDED' } });
  server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  add(...tasks: LeasedTask[]): void {
    this.#queue.push(...tasks);
    for (const wake of this.#wake.splice(0)) wake();
  }

  calls(kind: 'poll' | 'heartbeat' | 'complete', id?: string): Seen[] {
    return this.seen.filter((s) => s.path.endsWith(`/${kind}`) && (id === undefined || s.path.includes(`/tasks/${id}/`)));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    const path = req.url!.replace('/api/agent/v1', '');
    const body = text ? JSON.parse(text) : undefined;
    this.seen.push({ path, body });
    const id = /^\/tasks\/([^/]+)\//.exec(path)?.[1] ?? '';
    let reply: Reply;
    if (path === '/tasks/poll') {
      if (this.#queue.length === 0) await Promise.race([new Promise<void>((r) => this.#wake.push(r)), delay(body.waitMs)]);
      reply = { status: 200, body: { tasks: this.#queue.splice(0, body.maxTasks) } };
    } else if (path.endsWith('/heartbeat')) reply = this.heartbeat(id, this.calls('heartbeat', id).length);
    else if (path.endsWith('/complete')) reply = this.complete(id, this.calls('complete', id).length);
    else reply = { status: 404, body: { error: { code: 'not_found', message: 'no route', requestId: 'r' } } };
    if (reply === 'drop') return void req.socket.destroy();
    res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body));
  }
}

const conflict = (message: string): Reply => ({ status: 409, body: { error: { code: 'conflict', message, requestId: 'r1' } } });

const payload = (serverGroupName: string, over: Record<string, unknown> = {}) => ({
  account: 'local',
  location: 'local',
  serverGroupName,
  moniker: { app: 'hello', cluster: 'hello', sequence: 1 },
  capacity: { min: 1, max: 1, desired: 1 },
  artifact: { type: 'process', command: 'node' },
  ...over,
});
let ids = 0;
const task = (p: Record<string, unknown>, operation: LeasedTask['operation'] = 'createServerGroup'): LeasedTask => {
  const id = `task-${++ids}-0000`;
  return { id, operation, account: String(p.account), payload: p, attempt: 1, leaseExpiresAt: Date.now() + 30_000, idempotencyKey: `key-${id}` };
};

/** A provider whose operations take `durationMs`, log two lines, and record how many ran at once. */
class FakeProvider implements Provider {
  readonly type = 'local' as const;
  readonly started: string[] = [];
  maxAtOnce = 0;
  readonly maxPerGroup = new Map<string, number>();
  readonly #now = new Map<string, number>();
  #running = 0;
  durationMs = 0;
  failWith: string | null = null;
  extraLines = 0;

  async #run(name: string, op: { serverGroupName: string }, log: TaskLog): Promise<ServerGroupSnapshot> {
    this.started.push(`${name} ${op.serverGroupName}`);
    this.#running++;
    this.maxAtOnce = Math.max(this.maxAtOnce, this.#running);
    const inGroup = (this.#now.get(op.serverGroupName) ?? 0) + 1;
    this.#now.set(op.serverGroupName, inGroup);
    this.maxPerGroup.set(op.serverGroupName, Math.max(this.maxPerGroup.get(op.serverGroupName) ?? 0, inGroup));
    try {
      log(`${name} ${op.serverGroupName}: starting`);
      for (let i = 0; i < this.extraLines; i++) log(`line ${i}`);
      await delay(this.durationMs);
      if (this.failWith) throw new Error(this.failWith);
      log(`${name} ${op.serverGroupName}: done`);
      return { name: op.serverGroupName, location: 'local', moniker: { app: 'hello', stack: '', detail: '', cluster: 'hello', sequence: 1 }, disabled: false, capacity: { min: 1, max: 1, desired: 1 }, artifact: null, loadBalancers: [], createdAt: 1, instances: [] };
    } finally {
      this.#running--;
      this.#now.set(op.serverGroupName, inGroup - 1);
    }
  }
  createServerGroup = (op: OperationPayload<'createServerGroup'>, log: TaskLog) => this.#run('create', op, log);
  resizeServerGroup = (op: OperationPayload<'resizeServerGroup'>, log: TaskLog) => this.#run('resize', op, log);
  enableServerGroup = (op: OperationPayload<'enableServerGroup'>, log: TaskLog) => this.#run('enable', op, log);
  disableServerGroup = (op: OperationPayload<'disableServerGroup'>, log: TaskLog) => this.#run('disable', op, log);
  destroyServerGroup = async (op: OperationPayload<'destroyServerGroup'>, log: TaskLog) => void (await this.#run('destroy', op, log));
  inventory = async (account: string): Promise<InventoryReport> => ({ account, serverGroups: [], loadBalancers: [] });
  onChange(): void {}
  async close(): Promise<void> {}
}

const running: { stop: AbortController; done: Promise<void>; edge: FakeEdge }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop.abort();
    await r.done;
    r.edge.server.closeAllConnections();
    await new Promise((resolve) => r.edge.server.close(resolve));
  }
});

/** Starts a worker against a fresh fake edge. */
async function start(options: Partial<WorkerOptions> = {}, over: Partial<WorkerDeps> = {}) {
  const edge = await new FakeEdge().start();
  const provider = new FakeProvider();
  const lines: string[] = [];
  const sleeps: number[] = [];
  const deps: WorkerDeps = {
    client: new AgentClient(edge.url),
    credential: 'gna_test',
    providerFor: (account) => (account === 'local' ? provider : undefined),
    log: (line) => lines.push(line),
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      await delay(Math.min(ms, 20), undefined, { signal }).catch(() => undefined);
    },
    random: () => 0.5,
    now: Date.now,
    ...over,
  };
  const worker = new TaskWorker(deps, { pollWaitMs: 200, heartbeatIntervalMs: 60_000, ...options });
  const stop = new AbortController();
  const done = worker.run(stop.signal);
  running.push({ stop, done, edge });
  return { edge, provider, lines, sleeps, worker, stop, done };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(5);
  }
}

describe('TaskWorker', () => {
  it('runs a task through the provider, heartbeats while it runs (with its log lines), and completes it once', async () => {
    const w = await start({ heartbeatIntervalMs: 25 });
    w.provider.durationMs = 150;
    const t = task(payload('hello-v001'));
    w.edge.add(t);
    await until(() => w.edge.calls('complete').length === 1);
    await delay(100);
    expect(w.edge.calls('complete')).toHaveLength(1);
    const completion = w.edge.calls('complete')[0]!;
    expect(completion.path).toBe(`/tasks/${t.id}/complete`);
    expect(completion.body).toMatchObject({ idempotencyKey: t.idempotencyKey, ok: true, result: { serverGroup: { name: 'hello-v001' }, details: {} } });
    const heartbeats = w.edge.calls('heartbeat', t.id);
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    // Every line reaches the edge once, in order, by heartbeat or with the completion.
    expect([...heartbeats.flatMap((h) => h.body.logs), ...completion.body.logs]).toEqual(['create hello-v001: starting', 'create hello-v001: done']);
    expect(w.provider.started).toEqual(['create hello-v001']);
    expect(w.lines).toContain(`task ${t.id.slice(0, 8)} createServerGroup hello-v001: reported SUCCEEDED`);
  });

  it('reports a provider failure as ok:false with its message', async () => {
    const w = await start();
    w.provider.failWith = 'port 9000 is in use';
    const t = task(payload('hello-v002'));
    w.edge.add(t);
    await until(() => w.edge.calls('complete').length === 1);
    expect(w.edge.calls('complete')[0]!.body).toEqual({ idempotencyKey: t.idempotencyKey, ok: false, error: 'port 9000 is in use', logs: ['create hello-v002: starting'] });
  });

  it('retries the completion after a network error, with the same body', async () => {
    const w = await start();
    w.edge.complete = (_, n) => (n === 1 ? 'drop' : { status: 200, body: { status: 'SUCCEEDED' } });
    const t = task(payload('hello-v003'));
    w.edge.add(t);
    await until(() => w.edge.calls('complete').length === 2);
    await delay(50);
    const [first, second] = w.edge.calls('complete');
    expect(w.edge.calls('complete')).toHaveLength(2);
    expect(second!.body).toEqual(first!.body);
    expect(w.sleeps).toContain(750);
    expect(w.lines.some((l) => /cannot report the outcome yet \(no answer to POST \/tasks\/\{id\}\/complete: .*\); retrying in 0\.8s$/.test(l))).toBe(true);
  });

  it('gives up on the completion once the lease would have run out', async () => {
    let clock = 1_000_000;
    const w = await start(
      {},
      {
        now: () => clock,
        sleep: async (ms, signal) => {
          // Retries pass at once and move the clock; the long waits (heartbeats) wait for the stop.
          if (ms >= 60_000) return void (await delay(60_000, undefined, { signal }).catch(() => undefined));
          clock += ms;
          await delay(1);
        },
      },
    );
    w.edge.complete = () => 'drop';
    w.edge.add(task(payload('hello-v004')));
    await until(() => w.lines.some((l) => /could not report the outcome before the lease ran out/.test(l)));
    // 0.75 + 1.5 + 3 + 6 + 12 = 23.25 s of retries; the next (24 s) would end after the 30 s lease.
    expect(w.edge.calls('complete')).toHaveLength(6);
    expect(w.worker.held).toBe(0);
  });

  it('logs a 409 on completion and moves on to the next task', async () => {
    const w = await start();
    w.edge.complete = (id) => (id.startsWith('task-late') ? conflict('task is already complete (SUCCEEDED); nothing was recorded') : { status: 200, body: { status: 'SUCCEEDED' } });
    const late = { ...task(payload('hello-v005')), id: 'task-late-1' };
    w.edge.add(late);
    await until(() => w.lines.some((l) => l.includes('the edge did not take the outcome (task is already complete (SUCCEEDED); nothing was recorded); moving on')));
    const next = task(payload('hello-v006'));
    w.edge.add(next);
    await until(() => w.edge.calls('complete', next.id).length === 1);
    expect(w.edge.calls('complete', late.id)).toHaveLength(1);
  });

  it('sends more log lines than one completion carries by heartbeats first, in order', async () => {
    const w = await start();
    w.provider.extraLines = 450;
    const t = task(payload('hello-v010'));
    w.edge.add(t);
    await until(() => w.edge.calls('complete').length === 1);
    const sent = [...w.edge.calls('heartbeat', t.id), ...w.edge.calls('complete', t.id)].map((c) => c.body.logs as string[]);
    expect(sent.map((l) => l.length)).toEqual([200, 200, 52]);
    expect(sent.flat()).toEqual(['create hello-v010: starting', ...Array.from({ length: 450 }, (_, i) => `line ${i}`), 'create hello-v010: done']);
  });

  it('does not keep flushing lines while heartbeats fail: the completion carries the last ones', async () => {
    const w = await start();
    w.provider.extraLines = 450;
    w.edge.heartbeat = () => 'drop';
    const t = task(payload('hello-v011'));
    w.edge.add(t);
    await until(() => w.edge.calls('complete').length === 1);
    expect(w.edge.calls('heartbeat', t.id)).toHaveLength(1);
    expect(w.edge.calls('complete', t.id)[0]!.body.logs).toHaveLength(200);
    expect(w.edge.calls('complete', t.id)[0]!.body.logs.at(-1)).toBe('create hello-v011: done');
  });

  it('refuses a malformed payload without running it, naming the field', async () => {
    const w = await start();
    const bad = task(payload('hello-v007', { capacity: { min: 1, max: 1, desired: -1 } }));
    const unknownAccount = task(payload('hello-v008', { account: 'k8s' }));
    w.edge.add(bad, unknownAccount);
    await until(() => w.edge.calls('complete').length === 2);
    expect(w.edge.calls('complete', bad.id)[0]!.body).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^malformed createServerGroup payload: capacity\.desired: /),
      idempotencyKey: bad.idempotencyKey,
    });
    expect(w.edge.calls('complete', unknownAccount.id)[0]!.body).toMatchObject({ ok: false, error: 'this agent has no provider for account "k8s"' });
    expect(w.provider.started).toEqual([]);
  });

  it('runs tasks concurrently up to the limit, but one at a time per server group', async () => {
    const w = await start({ maxRunning: 2 });
    w.provider.durationMs = 60;
    const resize = { account: 'local', location: 'local', serverGroupName: 'a-v001', capacity: { min: 2, max: 2, desired: 2 } };
    const tasks = [task(payload('a-v001')), task(resize, 'resizeServerGroup'), task(payload('b-v001')), task(payload('c-v001'))];
    w.edge.add(...tasks);
    await until(() => w.edge.calls('complete').length === 4);
    expect(w.provider.maxAtOnce).toBe(2);
    expect(w.provider.maxPerGroup.get('a-v001')).toBe(1);
    // Same group in the order they came: the create before the resize.
    expect(w.provider.started.filter((s) => s.endsWith('a-v001'))).toEqual(['create a-v001', 'resize a-v001']);
  });

  it('stops heartbeating a task the edge says is no longer its own', async () => {
    const w = await start({ heartbeatIntervalMs: 20 });
    w.provider.durationMs = 200;
    w.edge.heartbeat = (_, n) => (n === 1 ? conflict('task t was canceled; nothing was recorded') : { status: 200, body: { leaseExpiresAt: 0 } });
    const t = task(payload('hello-v009'));
    w.edge.add(t);
    await until(() => w.edge.calls('complete').length === 1);
    expect(w.edge.calls('heartbeat', t.id)).toHaveLength(1);
    expect(w.lines.some((l) => l.endsWith('the edge no longer holds this task for this agent (task t was canceled; nothing was recorded); its outcome will be ignored'))).toBe(true);
  });

  it('backs off while the edge cannot be reached, then polls again', async () => {
    const edge = await new FakeEdge().start();
    await new Promise((resolve) => edge.server.close(resolve));
    const lines: string[] = [];
    const sleeps: number[] = [];
    const stop = new AbortController();
    const worker = new TaskWorker({
      client: new AgentClient(edge.url),
      credential: 'gna_test',
      providerFor: () => undefined,
      log: (l) => lines.push(l),
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 3) stop.abort();
      },
      random: () => 0,
      now: Date.now,
    });
    await worker.run(stop.signal);
    expect(sleeps).toEqual([500, 1000, 2000]);
    expect(lines[0]).toMatch(/^cannot poll for tasks \(no answer to POST \/tasks\/poll: ECONNREFUSED\); retrying in 0\.5s$/);
  });

  it('keeps polling after an error that is not the edge\'s (a dead loop would look online and take no work)', async () => {
    const lines: string[] = [];
    const sleeps: number[] = [];
    const stop = new AbortController();
    let polls = 0;
    const client = Object.assign(new AgentClient('http://127.0.0.1:9'), {
      pollTasks: async () => {
        polls++;
        throw new TypeError('boom');
      },
    });
    const worker = new TaskWorker({
      client,
      credential: 'gna_test',
      providerFor: () => undefined,
      log: (l) => lines.push(l),
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 2) stop.abort();
      },
      random: () => 0,
      now: Date.now,
    });
    await worker.run(stop.signal);
    expect(polls).toBe(2);
    expect(lines[0]).toBe('cannot poll for tasks (unexpected error: boom); retrying in 0.5s');
  });

  it('on stop, lets a running task finish and report, and leaves unstarted ones to their lease', async () => {
    const w = await start({ maxRunning: 1 });
    w.provider.durationMs = 100;
    const first = task(payload('s-v001'));
    const second = task(payload('s-v002'));
    w.edge.add(first, second);
    await until(() => w.provider.started.length === 1);
    w.stop.abort();
    await w.done;
    expect(w.edge.calls('complete').map((c) => c.path)).toEqual([`/tasks/${first.id}/complete`]);
    expect(w.provider.started).toEqual(['create s-v001']);
    expect(w.lines).toContain('left 1 task(s) not yet started to the edge; they return to the queue when their leases run out');
  });
});
