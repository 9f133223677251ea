import type { ChildProcess } from 'node:child_process';

export interface StackOptions {
  /** Port for `wrangler dev` on 127.0.0.1; default 8787. */
  port?: number;
  /** Where the local D1, the agent's state file and logs are kept; default `.gennaker/state`. */
  stateDir?: string;
  /** Start a local agent and wait until it is online; default true. */
  agent?: boolean;
  /** More command-line options for the local agent (e.g. `--prometheus-url`). */
  agentArgs?: string[];
  /** Create the demo application and pipeline unless they exist; default true. */
  seed?: boolean;
  /** Print progress (and the agent's lines) to the console; default true means silent. */
  quiet?: boolean;
  /** Receives progress lines and the agent's output (prefixed `[agent] `) instead of the console. */
  log?: (line: string) => void;
  /** Where `admin-token` and `admin-password` are kept and reused; default `stateDir`. */
  credentialsDir?: string;
  /** wrangler's output; default `<stateDir>/wrangler.log`. */
  wranglerLog?: string;
}

export interface Stack {
  /** e.g. `http://localhost:8787`: the console at `/`, the API at `/api/v1`. */
  url: string;
  adminEmail: string;
  adminPassword: string;
  /** An admin-scoped API token for `Authorization: Bearer`. */
  adminToken: string;
  /** The agent's supervisor: leader of the agent's process group. Undefined when `agent: false`. */
  agentProcess?: ChildProcess;
  /** Ends every process the stack started; resolves once all are gone. Safe to call twice. */
  stop(): Promise<void>;
}

export const DEFAULT_STATE_DIR: string;
export const ADMIN_EMAIL: string;
export const DEMO_APPLICATION: string;
export const DEMO_PIPELINE: string;
export const DEMO_DEPLOY_PIPELINE: string;
export const DEMO_CANARY_PIPELINE: string;

export function startStack(options?: StackOptions): Promise<Stack>;
export function seedDemo(options: { url: string; token: string; ownerEmail: string }): Promise<{ application: boolean; pipeline: boolean }>;
