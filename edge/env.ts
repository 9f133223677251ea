import type { Principal } from './auth/principal.ts';
import type { ExecutionRunner } from './engine/execution-runner.ts';
import type { PipelineAdmission } from './engine/pipeline-admission.ts';
import type { TaskDoorbell } from './tasks/doorbell.ts';

/** Bindings from wrangler.toml and secrets. */
export interface Env {
  DB: D1Database;
  ASSETS: Fetcher;
  /** One runner per execution (keyed by execution id). */
  EXECUTIONS: DurableObjectNamespace<ExecutionRunner>;
  /** One admission object per pipeline (keyed by pipeline id). */
  PIPELINES: DurableObjectNamespace<PipelineAdmission>;
  /** One doorbell per agent (keyed by agent id): wakes its waiting task polls. */
  TASK_DOORBELLS: DurableObjectNamespace<TaskDoorbell>;
  /** Enables `POST /api/v1/bootstrap` (first admin and a fresh admin token) for whoever holds it. */
  GENNAKER_BOOTSTRAP_SECRET?: string;
}

/** What each request carries through the middleware chain. */
export interface Vars {
  requestId: string;
  principal: Principal;
}

export type AppEnv = { Bindings: Env; Variables: Vars };
