/**
 * Runs the engine in-process over the real D1 of the test runtime, with a clock the test moves
 * and an in-memory queue in place of the Durable Objects. Same handlers, same D1, no waiting.
 * Ports mirror `do-ports.ts` and `pipeline-admission.ts` (a waiting child canceled at admission
 * tells its parent), so cross-execution rules run as in production.
 */
import { env } from 'cloudflare:test';
import { and, asc, eq } from 'drizzle-orm';
import { TASK_LEASE_MS, type ServerGroupSnapshot } from '../../../contract/operations.ts';
import { applications, executions, pipelines, stages, type TaskStatus } from '../../../db/schema.ts';
import { parseServerGroupName } from '../../clusters/naming.ts';
import type { InstanceHealth } from '../../clusters/types.ts';
import { database } from '../../lib/db.ts';
import { completeTask } from '../../tasks/lease.ts';
import { validatePipelineConfig } from '../../../contract/pipelines.ts';
import { listExecutions } from '../../routes/execution-views.ts';
import { reconcile } from '../admission.ts';
import { createExecutionStatements } from '../create-execution.ts';
import { processBatch, processMessage, type EngineDeps } from '../engine.ts';
import type { Message } from '../messages.ts';
import { resolveParameters, type ParameterConfig } from '../parameters.ts';
import type { Ports } from '../ports.ts';
import type { ExecutionStatus, TriggerInfo } from '../types.ts';

let counter = 0;
// Zero-padded so ids made in one run sort in the order they were made (admission breaks createdAt ties by id).
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36).padStart(5, '0')}`;

interface Queued {
  message: Message;
  atMs: number;
  seq: number;
}

/** One handled message and whether it changed its execution's rows (only with `trace`). */
export interface Traced {
  message: Message;
  changed: boolean;
}

export class Harness {
  /**
   * How new harnesses drain the queue. 0: one message per D1 commit (`processMessage`), so
   * `trace` can tell which message changed what. > 0: as the runner does, the due messages of one
   * execution and what they send, up to this many handlers per commit (`processBatch`).
   */
  static defaultBatchSteps = 0;
  readonly batchSteps: number;
  now = Date.UTC(2026, 10, 26, 12, 0, 0);
  readonly app = unique('h');
  readonly handled: Message[] = [];
  /** Filled when `trace` is on: each handled message with whether it changed D1. */
  readonly traced: Traced[] = [];
  /** Snapshot rows around every message to tell which ones changed anything (slower). */
  trace = false;
  /** Messages a handler sends that match are lost, as a crash or a failed delivery could lose them. */
  lose: ((message: Message) => boolean) | null = null;
  /** Engine log events, as `processMessage` reports them. */
  readonly logs: { event: string; fields: Record<string, unknown> }[] = [];
  private queue: Queued[] = [];
  private seq = 0;
  fetch: typeof fetch = async () => new Response('no fetch in this test', { status: 599 });
  readonly db = database(env.DB);

  constructor(opts: { batchSteps?: number } = {}) {
    this.batchSteps = opts.batchSteps ?? Harness.defaultBatchSteps;
  }

  readonly ports: Ports = {
    send: async (_id, messages) => this.enqueue(messages),
    release: async (pipelineId) => this.admit(pipelineId),
    startChild: async (req) => {
      const p = await this.db.select().from(pipelines).where(and(eq(pipelines.application, req.application), eq(pipelines.name, req.pipeline))).get();
      if (!p) throw new Error(`no pipeline "${req.pipeline}"`);
      const resolved = resolveParameters((p.config.parameterConfig ?? []) as ParameterConfig[], req.parameters);
      if (!resolved.ok) throw new Error(resolved.message);
      const id = `child-${req.childId}`;
      await this.db.batch(createExecutionStatements(env.DB, p, {
        id, now: this.now, parameters: resolved.parameters,
        trigger: { type: 'pipeline', user: req.user, parameters: resolved.parameters, parentExecutionId: req.parentExecutionId, parentStageId: req.parentStageId },
      }) as never);
      await this.admit(p.id, id);
      return { executionId: id };
    },
    cancel: async (id, user, reason) => {
      const row = await this.db.select().from(executions).where(eq(executions.id, id)).get();
      if (!row) return;
      if (row.status === 'NOT_STARTED' && row.pipelineId) {
        const res = await this.db
          .update(executions)
          .set({ status: 'CANCELED', canceledBy: user, cancelReason: reason, endedAt: this.now, updatedAt: this.now })
          .where(and(eq(executions.id, id), eq(executions.status, 'NOT_STARTED')))
          .run();
        if (res.meta.changes === 1) {
          await this.tellParents([id]);
          await this.admit(row.pipelineId);
          return;
        }
      }
      this.enqueue([{ type: 'cancelExecution', executionId: id, user, reason }]);
    },
    childStatus: async (id) => (await this.db.select({ status: executions.status }).from(executions).where(eq(executions.id, id)).get())?.status ?? null,
  };

  enqueue(messages: Message[], atMs = this.now): void {
    for (const message of messages) this.queue.push({ message, atMs, seq: this.seq++ });
  }

  private async application(): Promise<void> {
    await this.db.insert(applications).values({ name: this.app, createdBy: 'test', createdAt: this.now, updatedAt: this.now }).onConflictDoNothing().run();
  }

  /** Saves a pipeline (validated like the API does) in this harness's application. */
  async pipeline(config: Record<string, unknown>): Promise<string> {
    await this.application();
    const valid = validatePipelineConfig(config);
    if (!valid.ok) throw new Error(`invalid test pipeline: ${valid.message}`);
    const id = unique('p');
    await this.db.insert(pipelines).values({ id, application: this.app, name: String(config.name ?? id), config: valid.value as never, version: 1, createdAt: this.now, updatedAt: this.now, updatedBy: 'test' }).run();
    return id;
  }

  /** Starts an execution as the API does: stored NOT_STARTED, then admitted. */
  async start(pipelineId: string, opts: { parameters?: Record<string, unknown>; startTimeExpiry?: number; trigger?: Partial<TriggerInfo> } = {}): Promise<string> {
    const p = await this.db.select().from(pipelines).where(eq(pipelines.id, pipelineId)).get();
    if (!p) throw new Error('no pipeline');
    const resolved = resolveParameters((p.config.parameterConfig ?? []) as ParameterConfig[], opts.parameters ?? {});
    if (!resolved.ok) throw new Error(resolved.message);
    const id = unique('e');
    const trigger = { type: 'api' as const, user: 'token:test', parameters: resolved.parameters, ...opts.trigger };
    await this.db.batch(createExecutionStatements(env.DB, p, { id, trigger, parameters: resolved.parameters, now: this.now, startTimeExpiry: opts.startTimeExpiry ?? null }) as never);
    await this.admit(pipelineId, id);
    return id;
  }

  /** What the pipeline's admission object does: reconcile, start what it admitted, tell parents of canceled children. */
  async admit(pipelineId: string, admitted?: string): Promise<void> {
    const r = await reconcile(env.DB, pipelineId, this.now, admitted);
    for (const id of [...r.started, ...r.stalled]) this.enqueue([{ type: 'startExecution', executionId: id }]);
    await this.tellParents(r.canceled);
  }

  private async tellParents(ids: string[]): Promise<void> {
    for (const id of ids) {
      const row = await this.db.select({ trigger: executions.trigger }).from(executions).where(eq(executions.id, id)).get();
      const t = row?.trigger as TriggerInfo | undefined;
      if (!t?.parentExecutionId || !t.parentStageId) continue;
      this.enqueue([{ type: 'stageInput', executionId: t.parentExecutionId, stageId: t.parentStageId, input: { kind: 'childCompleted', childExecutionId: id, status: 'CANCELED' } }]);
    }
  }

  private deps(): EngineDeps {
    return { env: env as never, ports: this.ports, fetch: (i, init) => this.fetch(i, init), log: (event, fields) => void this.logs.push({ event, fields }) };
  }

  private push(message: Message, atMs: number): void {
    if (!this.lose?.(message)) this.queue.push({ message, atMs, seq: this.seq++ });
  }

  /** Handles every message due now, in order, including those they send. */
  async run(limit = 5000): Promise<void> {
    for (let i = 0; i < limit; i++) {
      this.queue.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
      const next = this.queue[0];
      if (!next || next.atMs > this.now) return;
      if (this.batchSteps > 0) {
        await this.runBatch(next.message.executionId);
        continue;
      }
      this.queue.shift();
      this.handled.push(next.message);
      const before = this.trace ? await this.rows(next.message.executionId) : '';
      const emitted = await processMessage(this.deps(), next.message, this.now);
      if (this.trace) this.traced.push({ message: next.message, changed: (await this.rows(next.message.executionId)) !== before });
      for (const e of emitted) this.push(e.message, e.atMs);
    }
    throw new Error('engine did not settle');
  }

  /** What one drain of the execution's runner does: its due messages and their chains, one commit. */
  private async runBatch(executionId: string): Promise<void> {
    const due = this.queue.filter((q) => q.atMs <= this.now && q.message.executionId === executionId);
    const result = await processBatch(this.deps(), due.map((q) => q.message), this.now, this.batchSteps);
    const done = new Set(due.slice(0, result.handled));
    this.queue = this.queue.filter((q) => !done.has(q));
    for (const q of done) this.handled.push(q.message);
    for (const m of result.due) this.push(m, this.now);
    for (const e of result.timed) this.push(e.message, e.atMs);
  }

  /** Moves the clock forward and runs what became due, step by step so timed messages keep order. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await this.run();
      const due = this.queue.filter((q) => q.atMs <= end).sort((a, b) => a.atMs - b.atMs)[0];
      if (!due) break;
      this.now = Math.max(this.now, due.atMs);
    }
    this.now = end;
    await this.run();
  }

  /** Sends a control message as the API would, then runs. */
  async send(message: Message): Promise<void> {
    this.enqueue([message]);
    await this.run();
  }

  /** A person continues or stops a manual judgment (as the judgment route sends it). */
  judge(executionId: string, refId: string, judgmentStatus: 'continue' | 'stop', opts: { input?: string; user?: string } = {}): Promise<void> {
    const input = { kind: 'judgment' as const, judgmentStatus, user: opts.user ?? 'alice@example.com', ...(opts.input !== undefined ? { input: opts.input } : {}) };
    return this.send({ type: 'stageInput', executionId, stageId: this.stageId(executionId, refId), input });
  }

  /** Cancels as the cancel route does (a waiting execution at admission, a running one through its runner). */
  async cancel(executionId: string, user = 'alice@example.com', reason = 'canceled by a user'): Promise<void> {
    await this.ports.cancel(executionId, user, reason);
    await this.run();
  }

  pause(executionId: string, user = 'alice@example.com'): Promise<void> {
    return this.send({ type: 'pauseExecution', executionId, user });
  }

  resume(executionId: string, user = 'alice@example.com'): Promise<void> {
    return this.send({ type: 'resumeExecution', executionId, user });
  }

  restart(executionId: string, refId: string, user = 'bob@example.com'): Promise<void> {
    return this.send({ type: 'restartStage', executionId, stageId: this.stageId(executionId, refId), user });
  }

  skipWait(executionId: string, refId: string, user = 'carol@example.com'): Promise<void> {
    return this.send({ type: 'stageInput', executionId, stageId: this.stageId(executionId, refId), input: { kind: 'skipWait', user } });
  }

  skipWindow(executionId: string, refId: string, user = 'dave@example.com'): Promise<void> {
    return this.send({ type: 'windowOpen', executionId, stageId: this.stageId(executionId, refId), skippedBy: user });
  }

  async execution(id: string) {
    const row = await this.db.select().from(executions).where(eq(executions.id, id)).get();
    if (!row) throw new Error(`no execution ${id}`);
    return row;
  }

  async status(id: string): Promise<ExecutionStatus> {
    return (await this.execution(id)).status;
  }

  async stage(executionId: string, refId: string) {
    const row = await this.db.select().from(stages).where(and(eq(stages.executionId, executionId), eq(stages.refId, refId))).get();
    if (!row) throw new Error(`no stage ${refId}`);
    return row;
  }

  /** The id of an execution's stage (as messages and the API name it). */
  stageId(executionId: string, refId: string): string {
    return `${executionId}:${refId}`;
  }

  /** `{refId: status}` for every stage of an execution. */
  async statuses(executionId: string): Promise<Record<string, ExecutionStatus>> {
    const rows = await this.db.select({ refId: stages.refId, status: stages.status }).from(stages).where(eq(stages.executionId, executionId)).all();
    return Object.fromEntries(rows.map((r) => [r.refId, r.status]));
  }

  /** The execution row and every stage row, updatedAt included: equal snapshots mean nothing was written. */
  async snapshot(executionId: string) {
    return { execution: await this.execution(executionId), stages: await this.db.select().from(stages).where(eq(stages.executionId, executionId)).orderBy(asc(stages.id)).all() };
  }

  private async rows(executionId: string): Promise<string> {
    const e = await this.db.select().from(executions).where(eq(executions.id, executionId)).get();
    const s = await this.db.select().from(stages).where(eq(stages.executionId, executionId)).orderBy(asc(stages.id)).all();
    return JSON.stringify([e ?? null, s]);
  }

  /** The execution as the API lists it (status, queuePosition, ...). */
  async summary(executionId: string) {
    const { items } = await listExecutions(this.db, eq(executions.id, executionId), { limit: 1 });
    if (!items[0]) throw new Error(`no execution ${executionId}`);
    return items[0];
  }

  /** A cluster of this harness's application: `app-stack` or `app-stack-detail`. */
  cluster(stack = 'web', detail = ''): string {
    return detail ? `${this.app}-${stack}-${detail}` : stack ? `${this.app}-${stack}` : this.app;
  }

  /** Sets the application's traffic guards (as the application config stores them). */
  async guards(rules: Record<string, unknown>[]): Promise<void> {
    await this.application();
    await this.db.update(applications).set({ trafficGuards: rules }).where(eq(applications.name, this.app)).run();
  }

  /** Registers an agent serving a new account (rows as registration writes them), so tasks for it are queued. */
  async agent(location = 'here'): Promise<FakeAgent> {
    const agentId = unique('agent');
    const account = unique('acct');
    await env.DB.batch([
      env.DB.prepare("INSERT INTO agents (id, name, secret_hash, version, created_at) VALUES (?, ?, 'not-a-hash', '0.0.0-test', ?)").bind(agentId, agentId, this.now),
      env.DB.prepare("INSERT INTO accounts (name, provider, agent_id, locations, created_at, updated_at) VALUES (?, 'local', ?, ?, ?, ?)").bind(account, agentId, JSON.stringify([location]), this.now, this.now),
    ]);
    return new FakeAgent(this, agentId, account, location);
  }

  /** Every task an execution's stages queued, in the order they were queued. */
  async tasks(executionId: string): Promise<TaskRow[]> {
    const rows = await env.DB.prepare('SELECT * FROM tasks WHERE execution_id = ? ORDER BY rowid').bind(executionId).all<Record<string, any>>();
    return rows.results.map(taskRowOf);
  }

  /** The execution's tasks no agent has taken yet. */
  async queued(executionId: string): Promise<TaskRow[]> {
    return (await this.tasks(executionId)).filter((t) => t.status === 'QUEUED');
  }

  pendingCount(): number {
    return this.queue.length;
  }

  /** Messages waiting in the queue (due or timed), in the order they will run. */
  pending(): Queued[] {
    return [...this.queue].sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
  }
}

/** A task row as D1 holds it, JSON columns parsed. */
export interface TaskRow {
  id: string;
  executionId: string | null;
  stageId: string | null;
  account: string;
  operation: string;
  payload: Record<string, any>;
  status: TaskStatus;
  idempotencyKey: string;
  attempt: number;
  result: Record<string, any> | null;
  createdAt: number;
  updatedAt: number;
}

function taskRowOf(r: Record<string, any>): TaskRow {
  return {
    id: r.id, executionId: r.execution_id, stageId: r.stage_id, account: r.account, operation: r.operation, payload: JSON.parse(r.payload),
    status: r.status, idempotencyKey: r.idempotency_key, attempt: r.attempt, result: r.result === null ? null : JSON.parse(r.result),
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/** A server group as a test describes it: `{up: 2, disabled: true}`. */
export interface GroupSpec {
  /** Epoch ms; default: before the harness's clock, one second per sequence, so higher sequences are newer. */
  createdAt?: number;
  disabled?: boolean;
  /** Instances that are Up (default 1). */
  up?: number;
  /** Further instances with other health. */
  other?: InstanceHealth[];
  desired?: number;
  min?: number;
  max?: number;
  /** What the group runs (default: `node`). */
  artifact?: Record<string, unknown>;
  loadBalancers?: string[];
}

/**
 * How the fake agent ends a task; `serverGroup` is what its result reports (none when absent),
 * `details` its free-form details (a collectMetrics task's `metrics`).
 */
export type FakeOutcome = { ok: true; serverGroup?: ServerGroupSnapshot | null; details?: Record<string, unknown> } | { ok: false; error: string };

/**
 * An agent for one account, faked at the edge's boundary: it holds the account's server groups,
 * reports them as inventory rows (what `POST /inventory` writes), and finishes tasks the way the
 * agent API does (lease, `completeTask`, then the stageInput the runner would get).
 */
export class FakeAgent {
  /** The account's server groups as the agent has them, by `location/name`. */
  readonly groups = new Map<string, ServerGroupSnapshot>();

  readonly h: Harness;
  readonly agentId: string;
  readonly account: string;
  readonly location: string;

  constructor(h: Harness, agentId: string, account: string, location: string) {
    this.h = h;
    this.agentId = agentId;
    this.account = account;
    this.location = location;
  }

  /** Adds server groups (`app-stack-v001`) and reports the inventory. */
  async have(specs: Record<string, GroupSpec>, location = this.location): Promise<void> {
    for (const [name, spec] of Object.entries(specs)) this.groups.set(`${location}/${name}`, this.snapshot(name, spec, location));
    await this.report();
  }

  /** A server group as this agent would report it. */
  snapshot(name: string, spec: GroupSpec = {}, location = this.location): ServerGroupSnapshot {
    const moniker = parseServerGroupName(name);
    if (!moniker) throw new Error(`bad test server group name ${name}`);
    const up = spec.up ?? 1;
    const health: InstanceHealth[] = [...Array.from({ length: up }, () => 'Up' as const), ...(spec.other ?? [])];
    const desired = spec.desired ?? health.length;
    return {
      name, location, moniker, disabled: spec.disabled ?? false,
      capacity: { min: spec.min ?? desired, max: spec.max ?? Math.max(desired, 1), desired },
      artifact: spec.artifact ?? { type: 'process', command: 'node' }, loadBalancers: spec.loadBalancers ?? [],
      createdAt: spec.createdAt ?? this.h.now - 1_000_000 + (moniker.sequence ?? 0) * 1000,
      instances: health.map((h, i) => ({ id: `${name}-i${i}`, name: `${name}-i${i}`, health: h, address: null, launchedAt: null })),
    };
  }

  /** Writes the account's inventory rows as an inventory report replaces them. */
  async report(): Promise<void> {
    const db = env.DB;
    const groups = [...this.groups.values()].map((g) => ({ id: crypto.randomUUID(), g }));
    const instances = groups.flatMap(({ id, g }) => g.instances.map((i) => ({ id: `${id}:${i.id}`, group: id, name: i.name, health: i.health })));
    await db.batch([
      db.prepare('DELETE FROM instances WHERE server_group_id IN (SELECT id FROM server_groups WHERE account = ?)').bind(this.account),
      db.prepare('DELETE FROM server_groups WHERE account = ?').bind(this.account),
      db
        .prepare(
          `INSERT INTO server_groups (id, account, location, name, application, cluster, stack, detail, sequence, disabled, capacity, artifact, load_balancers, created_at, reported_at)
           SELECT r.value ->> 'id', ?, r.value -> 'g' ->> 'location', r.value -> 'g' ->> 'name', r.value -> 'g' -> 'moniker' ->> 'app', r.value -> 'g' -> 'moniker' ->> 'cluster',
             r.value -> 'g' -> 'moniker' ->> 'stack', r.value -> 'g' -> 'moniker' ->> 'detail', r.value -> 'g' -> 'moniker' ->> 'sequence', r.value -> 'g' ->> 'disabled',
             r.value -> 'g' -> 'capacity', r.value -> 'g' -> 'artifact', r.value -> 'g' -> 'loadBalancers', r.value -> 'g' ->> 'createdAt', ?
           FROM json_each(?) r`,
        )
        .bind(this.account, this.h.now, JSON.stringify(groups)),
      db
        .prepare(
          `INSERT INTO instances (id, server_group_id, name, health, reported_at)
           SELECT i.value ->> 'id', i.value ->> 'group', i.value ->> 'name', i.value ->> 'health', ? FROM json_each(?) i`,
        )
        .bind(this.h.now, JSON.stringify(instances)),
    ]);
  }

  /** What carrying out `task` does to the agent's groups; returns the group after it (null once destroyed). */
  apply(task: TaskRow, health: InstanceHealth = 'Up'): ServerGroupSnapshot | null {
    const p = task.payload;
    const key = `${p.location}/${p.serverGroupName}`;
    const before = this.groups.get(key);
    const instance = (n: number) => ({ id: `${p.serverGroupName}-i${n}`, name: `${p.serverGroupName}-i${n}`, health, address: null, launchedAt: this.h.now });
    let after: ServerGroupSnapshot | null;
    switch (task.operation) {
      case 'createServerGroup':
        after = {
          name: p.serverGroupName, location: p.location, moniker: p.moniker, disabled: !p.enabled, capacity: p.capacity, artifact: p.artifact,
          loadBalancers: p.loadBalancers, createdAt: this.h.now, instances: Array.from({ length: p.capacity.desired }, (_, i) => instance(i)),
        };
        break;
      case 'enableServerGroup':
        if (!before) throw new Error(`fake agent has no ${key}`);
        after = { ...before, disabled: false, instances: before.instances.map((i) => ({ ...i, health: i.health === 'OutOfService' ? 'Up' : i.health })) };
        break;
      case 'disableServerGroup': {
        if (!before) throw new Error(`fake agent has no ${key}`);
        const pct = (p.desiredPercentage as number | undefined) ?? 100;
        if (pct >= 100) {
          // The whole group is out of the load balancer now; its instances keep running, Up.
          after = { ...before, disabled: true, instances: before.instances.map((i) => ({ ...i, health: i.health === 'OutOfService' ? 'Up' : i.health })) };
          break;
        }
        // Rolling red/black: a share of the instances leaves the load balancer; the group stays enabled.
        const out = Math.ceil((before.instances.length * pct) / 100);
        after = { ...before, instances: before.instances.map((i, n) => (n < out ? { ...i, health: 'OutOfService' } : i)) };
        break;
      }
      case 'resizeServerGroup': {
        if (!before) throw new Error(`fake agent has no ${key}`);
        const kept = before.instances.slice(0, p.capacity.desired);
        const added = Array.from({ length: p.capacity.desired - kept.length }, (_, i) => instance(before.instances.length + i));
        after = { ...before, capacity: p.capacity, instances: [...kept, ...added] };
        break;
      }
      case 'destroyServerGroup':
        after = null;
        break;
      default:
        throw new Error(`fake agent cannot ${task.operation}`);
    }
    if (after) this.groups.set(key, after);
    else this.groups.delete(key);
    return after;
  }

  /**
   * Finishes a task as an agent does through `POST /tasks/{id}/complete`: leases it, records the
   * outcome with its idempotency key, then (unless the notice is `lost`) sends the runner its
   * stageInput, and runs the harness.
   */
  async complete(task: TaskRow, outcome: FakeOutcome, opts: { lost?: boolean } = {}): Promise<void> {
    const h = this.h;
    await env.DB.prepare("UPDATE tasks SET status = 'LEASED', lease_owner = ?, lease_expires_at = ?, attempt = attempt + 1, updated_at = ? WHERE id = ? AND status = 'QUEUED'")
      .bind(this.agentId, h.now + TASK_LEASE_MS, h.now, task.id)
      .run();
    const result = { serverGroup: outcome.ok ? (outcome.serverGroup ?? null) : null, details: outcome.ok ? (outcome.details ?? {}) : {} };
    const done = await completeTask(env.DB, task.id, this.agentId, { idempotencyKey: task.idempotencyKey, ok: outcome.ok, result, ...(outcome.ok ? {} : { error: outcome.error }), logs: [] }, h.now);
    if (!opts.lost && done.executionId && done.stageId) {
      h.enqueue([{ type: 'stageInput', executionId: done.executionId, stageId: done.stageId, input: { kind: 'taskCompleted', taskId: task.id, ok: outcome.ok, result: done.result as never } }]);
    }
    await h.run();
  }

  /**
   * Carries out the task and reports success with the group after it; `report: false` leaves the
   * inventory rows as they were (the agent's next report has not come yet).
   */
  async succeed(task: TaskRow, opts: { report?: boolean; lost?: boolean; health?: InstanceHealth } = {}): Promise<ServerGroupSnapshot | null> {
    const after = this.apply(task, opts.health);
    if (opts.report !== false) await this.report();
    await this.complete(task, { ok: true, serverGroup: after }, { lost: opts.lost });
    return after;
  }

  /** Reports the task failed with the agent's message. */
  fail(task: TaskRow, error: string, opts: { lost?: boolean } = {}): Promise<void> {
    return this.complete(task, { ok: false, error }, opts);
  }

  /** Carries out every task the execution queues, one at a time, until none is queued; returns them in order. */
  async work(executionId: string, opts: { report?: boolean; max?: number } = {}): Promise<TaskRow[]> {
    const done: TaskRow[] = [];
    for (let i = 0; i < (opts.max ?? 100); i++) {
      const [next] = await this.h.queued(executionId);
      if (!next) return done;
      await this.succeed(next, { report: opts.report });
      done.push(next);
    }
    return done;
  }
}

/** Shorthand for a stage config. */
export const stage = (refId: string, type: string, extra: Record<string, unknown> = {}, requisites: string[] = []) => ({
  refId,
  type,
  name: (extra.name as string | undefined) ?? `${type} ${refId}`,
  requisiteStageRefIds: requisites,
  ...extra,
});

/** A `wait` stage of `seconds`. */
export const wait = (refId: string, seconds: number | string, requisites: string[] = [], extra: Record<string, unknown> = {}) =>
  stage(refId, 'wait', { waitTime: seconds, ...extra }, requisites);

/** A stage that fails as soon as it starts: a precondition whose expression is false. */
export const failing = (refId: string, requisites: string[] = [], extra: Record<string, unknown> = {}) =>
  stage(refId, 'checkPreconditions', { preconditions: [{ type: 'expression', context: { expression: '${false}' } }], ...extra }, requisites);

/** A manual judgment: waits until `Harness.judge`. */
export const judgment = (refId: string, requisites: string[] = [], extra: Record<string, unknown> = {}) => stage(refId, 'manualJudgment', extra, requisites);

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
