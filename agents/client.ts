import { hc } from 'hono/client';
import type { z } from 'zod';
import { inventoryAccepted, taskCompletionAccepted, taskLeaseExtended, type TaskPoll } from '../contract/agent-protocol.ts';
import {
  agentHeartbeatAck,
  agentRegistered,
  type AgentRegister,
} from '../contract/agents.ts';
import { errorBody } from '../contract/errors.ts';
import { pollResponse, type InventoryReport, type LeasedTask, type TaskResult } from '../contract/operations.ts';
import type { agentApi } from '../edge/agent-api/index.ts';

export type AgentRegistered = z.infer<typeof agentRegistered>;
export type HeartbeatAck = z.infer<typeof agentHeartbeatAck>;
export type TaskLeaseExtended = z.infer<typeof taskLeaseExtended>;
export type TaskCompletionAccepted = z.infer<typeof taskCompletionAccepted>;
export type InventoryAccepted = z.infer<typeof inventoryAccepted>;

/** What an agent sends to finish a task (the edge fills in `result` and `logs` when left out). */
export interface TaskCompletionBody {
  idempotencyKey: string;
  ok: boolean;
  result?: TaskResult;
  error?: string;
  logs?: string[];
}

/**
 * Why a call failed: `network` (no answer), `server` (5xx, 429), `refused` (the server said no:
 * 4xx, with its message), `protocol` (an answer that is not the Gennaker agent protocol).
 */
export type FailureKind = 'network' | 'server' | 'refused' | 'protocol';

/** A failed agent protocol call; `retryable` says whether trying again later can help. */
export class AgentApiError extends Error {
  readonly kind: FailureKind;
  readonly status: number | undefined;
  readonly code: string | undefined;
  constructor(kind: FailureKind, message: string, status?: number, code?: string) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.code = code;
  }
  get retryable(): boolean {
    return this.kind === 'network' || this.kind === 'server';
  }
}

const REQUEST_TIMEOUT_MS = 15_000;
/** A long poll may take its whole `waitMs`; give the answer this much more to arrive. */
const POLL_GRACE_MS = 15_000;

/** The agent protocol (`/api/agent/v1`) as the agent calls it: typed requests, validated answers. */
export class AgentClient {
  readonly server: string;
  readonly #api: ReturnType<typeof hc<typeof agentApi>>;

  constructor(server: string, fetchImpl: typeof fetch = fetch) {
    this.server = server;
    this.#api = hc<typeof agentApi>(`${server}/api/agent/v1`, {
      // A call that brings its own signal (the long poll) brings its own timeout too.
      fetch: (input: RequestInfo | URL, init?: RequestInit) => fetchImpl(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
    });
  }

  /** Trades a one-time install token for this agent's own credential. */
  async register(body: AgentRegister): Promise<AgentRegistered> {
    return answer('POST /register', agentRegistered, () => this.#api.register.$post({ json: body }));
  }

  /** Tells the edge this agent is alive; a 401 means the credential is unknown or revoked. */
  async heartbeat(credential: string, version: string): Promise<HeartbeatAck> {
    return answer('POST /heartbeat', agentHeartbeatAck, () =>
      this.#api.heartbeat.$post({ json: { version } }, { headers: { Authorization: `Bearer ${credential}` } }),
    );
  }

  /**
   * Long-polls for tasks: the edge answers as soon as it leased some to this agent, or with none
   * after `waitMs`. `signal` (the agent stopping) abandons the call.
   */
  async pollTasks(credential: string, body: TaskPoll, signal?: AbortSignal): Promise<LeasedTask[]> {
    const timeout = AbortSignal.timeout((body.waitMs ?? 25_000) + POLL_GRACE_MS);
    const init = { signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
    const answered = await answer('POST /tasks/poll', pollResponse, () => this.#api.tasks.poll.$post({ json: body }, { headers: bearer(credential), init }));
    return answered.tasks;
  }

  /** Keeps the lease on a running task and hands over its new log lines; 409 once the lease is lost. */
  async heartbeatTask(credential: string, taskId: string, logs: string[]): Promise<TaskLeaseExtended> {
    return answer('POST /tasks/{id}/heartbeat', taskLeaseExtended, () =>
      this.#api.tasks[':id'].heartbeat.$post({ param: { id: encodeURIComponent(taskId) }, json: { logs } }, { headers: bearer(credential) }),
    );
  }

  /** Reports a task's outcome once; 409 when the edge ignored it (late, duplicate, canceled). */
  async completeTask(credential: string, taskId: string, body: TaskCompletionBody): Promise<TaskCompletionAccepted> {
    return answer('POST /tasks/{id}/complete', taskCompletionAccepted, () =>
      this.#api.tasks[':id'].complete.$post({ param: { id: encodeURIComponent(taskId) }, json: body }, { headers: bearer(credential) }),
    );
  }

  /** Replaces what the edge knows of one account with this full picture of it. */
  async reportInventory(credential: string, report: InventoryReport): Promise<InventoryAccepted> {
    return answer('POST /inventory', inventoryAccepted, () => this.#api.inventory.$post({ json: report }, { headers: bearer(credential) }));
  }
}

const bearer = (credential: string) => ({ Authorization: `Bearer ${credential}` });

/** The part of a response `answer` reads; hono's typed `ClientResponse` and `Response` both have it. */
type Answer = { ok: boolean; status: number; statusText: string; text(): Promise<string> };

async function answer<T extends z.ZodType>(what: string, schema: T, call: () => Promise<Answer>): Promise<z.infer<T>> {
  let res: Answer;
  let text: string;
  try {
    res = await call();
    text = await res.text();
  } catch (err) {
    throw new AgentApiError('network', `no answer to ${what}: ${describeNetworkError(err)}`);
  }
  const json = parseJson(text);
  if (res.ok) {
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    throw new AgentApiError('protocol', `unexpected answer to ${what} (HTTP ${res.status}); is this a Gennaker server?`, res.status);
  }
  const error = errorBody.safeParse(json);
  const message = error.success ? error.data.error.message : `HTTP ${res.status} ${res.statusText}`.trim();
  const code = error.success ? error.data.error.code : undefined;
  const kind: FailureKind = res.status >= 500 || res.status === 429 ? 'server' : error.success ? 'refused' : 'protocol';
  throw new AgentApiError(kind, message, res.status, code);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** fetch hides the useful part (ECONNREFUSED, a timeout) in `cause`. */
function describeNetworkError(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  if (err instanceof Error && err.name === 'AbortError') return 'aborted';
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
