import type { Hono } from 'hono';
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
import { httpRequest, HttpRequestError, type HttpAnswer, type HttpRequest } from './http.ts';

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

/** The edge's agent routes as its code declares them: paths and JSON bodies are checked against it by tsc. */
type AgentRoutes = typeof agentApi extends Hono<infer _E, infer S, infer _B> ? S : never;
type PostRoute = { [P in keyof AgentRoutes]: AgentRoutes[P] extends { $post: unknown } ? P : never }[keyof AgentRoutes] & string;
type JsonOf<P extends PostRoute> = AgentRoutes[P] extends { $post: { input: { json: infer J } } } ? J : never;

/** Sends one request: `httpRequest` unless a caller brings its own. */
export type Send = (req: HttpRequest) => Promise<HttpAnswer>;

/**
 * The agent protocol (`/api/agent/v1`) as the agent calls it: typed requests, validated answers.
 * Plain HTTP through `agents/http.ts` (not hono's `hc`, which builds fetch `Headers` and so loads
 * undici); the routes' types still come from the edge's own code.
 */
export class AgentClient {
  readonly server: string;
  readonly #send: Send;

  constructor(server: string, send: Send = httpRequest) {
    this.server = server;
    this.#send = send;
  }

  /** Trades a one-time install token for this agent's own credential. */
  async register(body: AgentRegister): Promise<AgentRegistered> {
    return this.#post('POST /register', agentRegistered, '/register', body);
  }

  /** Tells the edge this agent is alive; a 401 means the credential is unknown or revoked. */
  async heartbeat(credential: string, version: string): Promise<HeartbeatAck> {
    return this.#post('POST /heartbeat', agentHeartbeatAck, '/heartbeat', { version }, { credential });
  }

  /**
   * Long-polls for tasks: the edge answers as soon as it leased some to this agent, or with none
   * after `waitMs`. `signal` (the agent stopping) abandons the call.
   */
  async pollTasks(credential: string, body: TaskPoll, signal?: AbortSignal): Promise<LeasedTask[]> {
    const timeoutMs = (body.waitMs ?? 25_000) + POLL_GRACE_MS;
    const answered = await this.#post('POST /tasks/poll', pollResponse, '/tasks/poll', body, { credential, timeoutMs, ...(signal ? { signal } : {}) });
    return answered.tasks;
  }

  /** Keeps the lease on a running task and hands over its new log lines; 409 once the lease is lost. */
  async heartbeatTask(credential: string, taskId: string, logs: string[]): Promise<TaskLeaseExtended> {
    return this.#post('POST /tasks/{id}/heartbeat', taskLeaseExtended, '/tasks/:id/heartbeat', { logs }, { credential, id: taskId });
  }

  /** Reports a task's outcome once; 409 when the edge ignored it (late, duplicate, canceled). */
  async completeTask(credential: string, taskId: string, body: TaskCompletionBody): Promise<TaskCompletionAccepted> {
    return this.#post('POST /tasks/{id}/complete', taskCompletionAccepted, '/tasks/:id/complete', body, { credential, id: taskId });
  }

  /** Replaces what the edge knows of one account with this full picture of it. */
  async reportInventory(credential: string, report: InventoryReport): Promise<InventoryAccepted> {
    return this.#post('POST /inventory', inventoryAccepted, '/inventory', report, { credential });
  }

  async #post<T extends z.ZodType, P extends PostRoute>(
    what: string,
    schema: T,
    route: P,
    json: JsonOf<P>,
    opts: { credential?: string; id?: string; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<z.infer<T>> {
    const path = opts.id === undefined ? route : route.replace(':id', encodeURIComponent(opts.id));
    const request: HttpRequest = {
      method: 'POST',
      url: `${this.server}/api/agent/v1${path}`,
      json,
      timeoutMs: opts.timeoutMs ?? REQUEST_TIMEOUT_MS,
      ...(opts.credential ? { headers: bearer(opts.credential) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
    return answer(what, schema, () => this.#send(request));
  }
}

const bearer = (credential: string) => ({ Authorization: `Bearer ${credential}` });

async function answer<T extends z.ZodType>(what: string, schema: T, call: () => Promise<HttpAnswer>): Promise<z.infer<T>> {
  let res: HttpAnswer;
  try {
    res = await call();
  } catch (err) {
    if (!(err instanceof HttpRequestError)) throw err;
    throw new AgentApiError('network', `no answer to ${what}: ${err.reason}`);
  }
  const json = parseJson(res.text);
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
