/**
 * The engine's shapes: executions and stages as the handlers see them, what a stage type
 * implements, and the typed failure every stage reports. D1 rows are mapped to these in
 * `store.ts`; nothing else in the engine touches rows.
 */
import type { ExecutionStatus } from '../../db/schema.ts';
import type { AgentPort, InventoryPort } from './agent-ports.ts';
import type { CanaryPort } from './stages/canary/port.ts';

export type { ExecutionStatus };

/** Complete statuses: the stage or execution will not change again unless restarted. */
export const completeStatuses: readonly ExecutionStatus[] = [
  'SUCCEEDED', 'FAILED_CONTINUE', 'SKIPPED', 'TERMINAL', 'CANCELED', 'STOPPED',
];
/** Statuses after which downstream stages may start. */
export const proceedStatuses: readonly ExecutionStatus[] = ['SUCCEEDED', 'FAILED_CONTINUE', 'SKIPPED'];

export const isComplete = (s: ExecutionStatus) => completeStatuses.includes(s);
export const lets = (s: ExecutionStatus) => proceedStatuses.includes(s);

/** A failure, typed: `user` (bad config or expression), `transient` (may work on retry), `internal`. */
export interface StageError {
  kind: 'user' | 'transient' | 'internal';
  message: string;
  /** The stage context field at fault, as a JSON path (`payload.url`). */
  field?: string;
  /** The expression that failed, verbatim. */
  expression?: string;
}

/** Bookkeeping the engine keeps per stage, beside context and outputs. */
export interface StageMeta {
  /** Time spent paused, excluded from the stage timeout. */
  pausedMs?: number;
  pausedAt?: number;
  /** Time spent waiting for an execution window, excluded from the stage timeout. */
  windowWaitMs?: number;
  /** Set while the stage waits for its execution window to open. */
  windowUntil?: number;
  /** When the next `runStage` poll is due. */
  pollAt?: number;
  restartedBy?: string;
  restartedAt?: number;
  skippedBy?: string;
  /** Stage-type private state carried between polls (e.g. a webhook's status URL). */
  state?: Record<string, unknown>;
}

export interface StageState {
  id: string;
  executionId: string;
  refId: string;
  type: string;
  name: string;
  status: ExecutionStatus;
  requisiteStageRefIds: string[];
  /** The stage's config as written (expressions unevaluated until it starts, evaluated after). */
  context: Record<string, unknown>;
  outputs: Record<string, unknown>;
  error: StageError | null;
  startedAt: number | null;
  endedAt: number | null;
  meta: StageMeta;
}

export interface TriggerInfo {
  type: 'manual' | 'api' | 'pipeline' | 'cron' | 'webhook';
  /** Who started it: a user's email, `token:<name>`, or `pipeline:<execution id>`. */
  user: string;
  parameters: Record<string, unknown>;
  parentExecutionId?: string;
  parentStageId?: string;
  [key: string]: unknown;
}

export interface ExecutionState {
  id: string;
  application: string;
  pipelineId: string | null;
  name: string;
  status: ExecutionStatus;
  config: Record<string, unknown>;
  trigger: TriggerInfo;
  parameters: Record<string, unknown>;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  canceledBy: string | null;
  cancelReason: string | null;
  pausedAt: number | null;
  startTimeExpiry: number | null;
  timeZone: string;
}

/** What a stage type's step returns: keep polling, wait for input, or finish. */
export type StageStep =
  | { status: 'RUNNING'; retryAfterMs: number; outputs?: Record<string, unknown>; state?: Record<string, unknown> }
  | { status: 'WAITING'; outputs?: Record<string, unknown>; state?: Record<string, unknown> }
  | { status: 'SUCCEEDED'; outputs?: Record<string, unknown> }
  | { status: 'FAILED'; error: StageError; outputs?: Record<string, unknown> }
  | { status: 'CANCELED'; outputs?: Record<string, unknown> }
  /** The stage decided it should not have run (e.g. a skipped window): it counts as SKIPPED. */
  | { status: 'SKIPPED'; outputs?: Record<string, unknown> };

/** Input sent to a stage from outside: a person, an agent, a child execution. */
export type StageInput =
  | { kind: 'judgment'; judgmentStatus: 'continue' | 'stop'; input?: string; user: string }
  | { kind: 'skipWait'; user: string }
  | { kind: 'childCompleted'; childExecutionId: string; status: ExecutionStatus }
  | { kind: 'taskCompleted'; taskId: string; ok: boolean; result: Record<string, unknown> };

/** What a stage type can use while it runs. Clock and outbound fetch are injected for tests. */
export interface StageRuntime {
  now: number;
  execution: ExecutionState;
  stage: StageState;
  /** Every stage of the execution, for stage-status preconditions. */
  stages: readonly StageState[];
  fetch: typeof fetch;
  /** Starts another pipeline as a child of this stage (the `pipeline` stage). */
  startChild(request: { application: string; pipeline: string; parameters: Record<string, unknown> }): Promise<{ executionId: string }>;
  cancelChild(executionId: string, reason: string): Promise<void>;
  /** A child execution's status as D1 has it, or null when it does not exist. */
  childStatus(executionId: string): Promise<ExecutionStatus | null>;
  /** Queues operations for the agent serving an account (agent-run stages). */
  agent: AgentPort;
  /** Server groups as agents last reported them, and the traffic guards that protect them. */
  inventory: InventoryPort;
  /**
   * Canary configs and reports (the canary stage). The engine always gives it; runtimes built by
   * hand in unit tests of other stage types may leave it out.
   */
  canary?: CanaryPort;
  /** Evaluates one expression against this execution (`evaluateVariables`, `checkPreconditions`). */
  evaluate(expression: string): { ok: true; value: unknown } | { ok: false; reason: string };
}

/** The behaviour of one stage type. Every method may run twice after a crash: be idempotent. */
export interface StageBehaviour {
  type: string;
  /** Default stage timeout (manual judgment: 3 days), used when the stage sets none. */
  defaultTimeoutMs?: number;
  /**
   * A default timeout that depends on the stage's evaluated context (a canary's lifetime); wins
   * over `defaultTimeoutMs`. Undefined when the context says nothing (it is checked at start).
   */
  defaultTimeoutFor?(context: Record<string, unknown>): number | undefined;
  start(rt: StageRuntime): Promise<StageStep>;
  poll?(rt: StageRuntime): Promise<StageStep>;
  input?(rt: StageRuntime, input: StageInput): Promise<StageStep | null>;
  /** Called when a running stage is canceled (execution canceled, or timed out). */
  cancel?(rt: StageRuntime): Promise<void>;
}

/** Thrown by ports and stage types for a mistake in the user's config, not a fault of Gennaker. */
export class UserError extends Error {
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.name = 'UserError';
    this.field = field;
  }
}
