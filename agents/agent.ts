import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ACCOUNTS, nameFromHost, type AgentAccount, type AgentOptions } from './args.ts';
import { AgentApiError, type AgentClient } from './client.ts';
import { writeState, type AgentState } from './state.ts';

/** Ends the agent: the CLI prints the message as one line and exits 1. */
export class FatalError extends Error {}

/** What the agent's lifecycle needs from the world, injected so tests can drive it. */
export interface AgentDeps {
  /** The agent protocol client for a server URL. */
  connect: (server: string) => Pick<AgentClient, 'register' | 'heartbeat'>;
  log: (line: string) => void;
  /** Waits, but returns early once `signal` is aborted. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  now: () => Date;
  version: string;
  hostname: string;
}

const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 30_000;

/**
 * How long to wait before retry number `attempt` (0-based): doubling from 1s up to 30s, with
 * the upper half jittered so agents cut off together do not return together.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The agent's identity: the saved one, or a new one got by registering with the install token
 * and saved before anything else happens. Undefined when stopped before registration finished.
 */
export async function obtainIdentity(options: AgentOptions, saved: AgentState | null, deps: AgentDeps, signal: AbortSignal): Promise<AgentState | undefined> {
  if (saved) {
    if (options.server && options.server !== saved.server) {
      throw new FatalError(`state file ${options.stateFile} belongs to ${saved.server}, not ${options.server}; use another --state for another server`);
    }
    if (options.installToken) deps.log(`already registered as "${saved.name}" (state file ${options.stateFile}); the install token is not used`);
    // Name and accounts are fixed at registration; say so rather than seem to apply new ones.
    if (options.name !== undefined && options.name !== saved.name) {
      deps.log(`--name "${options.name}" is ignored: this agent registered as "${saved.name}"`);
    }
    if (options.accounts && describeAccounts(options.accounts) !== describeAccounts(saved.accounts)) {
      deps.log(
        `--account is ignored: this agent registered with ${describeAccounts(saved.accounts)}; to change accounts, remove ${options.stateFile} and register again with a new install token`,
      );
    }
    return saved;
  }
  if (!options.server || !options.installToken) {
    throw new FatalError(
      `no state file at ${options.stateFile}, so this is a first start: it needs --server and --token (a one-time install token from the console or POST /api/v1/agents/install-tokens)`,
    );
  }
  // The install token works once: check the state file can be written before spending it.
  await assertWritableDir(path.dirname(options.stateFile));
  const client = deps.connect(options.server);
  const name = options.name ?? nameFromHost(deps.hostname);
  const accounts = options.accounts ?? [...DEFAULT_ACCOUNTS];
  const body = { installToken: options.installToken, name, version: deps.version, hostname: deps.hostname, accounts };
  for (let attempt = 0; ; attempt++) {
    try {
      const registered = await client.register(body);
      const state: AgentState = {
        server: options.server,
        agentId: registered.agentId,
        name,
        credential: registered.credential,
        accounts,
        registeredAt: deps.now().toISOString(),
      };
      try {
        await writeState(options.stateFile, state);
      } catch (err) {
        throw new FatalError(`registered as agent ${registered.agentId}, but could not save ${options.stateFile} (${(err as Error).message}); create a new install token and start again`);
      }
      deps.log(`registered with ${options.server} as "${name}" (agent ${registered.agentId}); ${describeAccounts(accounts)}`);
      return state;
    } catch (err) {
      if (!(err instanceof AgentApiError)) throw err;
      if (!err.retryable) throw new FatalError(`${options.server} refused the registration: ${err.message}`);
      const delayMs = retryDelayMs(attempt, deps.random);
      deps.log(`cannot register yet (${err.message}); retrying in ${seconds(delayMs)}`);
      await deps.sleep(delayMs, signal);
      if (signal.aborted) return undefined;
    }
  }
}

/**
 * Idles until `signal` is aborted: a heartbeat every interval the edge asks for, retries with
 * backoff while the edge cannot be reached, and a FatalError once it refuses the credential.
 */
export async function heartbeatLoop(state: AgentState, stateFile: string, deps: AgentDeps, signal: AbortSignal): Promise<void> {
  const client = deps.connect(state.server);
  let failures = 0;
  let online = false;
  while (!signal.aborted) {
    let waitMs: number;
    try {
      const ack = await client.heartbeat(state.credential, deps.version);
      if (!online) deps.log(failures ? `back in contact with ${state.server}` : `online; heartbeat every ${ack.heartbeatIntervalSec}s`);
      online = true;
      failures = 0;
      waitMs = ack.heartbeatIntervalSec * 1000;
    } catch (err) {
      if (!(err instanceof AgentApiError)) throw err;
      if (err.status === 401) {
        throw new FatalError(`${state.server} refused this agent's credential: ${err.message}. Remove ${stateFile} and start again with a new install token`);
      }
      if (!err.retryable) throw new FatalError(`heartbeat refused by ${state.server}: ${err.message}`);
      online = false;
      waitMs = retryDelayMs(failures++, deps.random);
      deps.log(`cannot reach ${state.server} (${err.message}); retrying in ${seconds(waitMs)}`);
    }
    await deps.sleep(waitMs, signal);
  }
}

async function assertWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new FatalError(`cannot write the state file's directory ${dir}: ${(err as Error).message}`);
  }
}

/** `accounts: local (local: local); prod (kubernetes: eu-west-1, us-east-1)` */
function describeAccounts(accounts: readonly AgentAccount[]): string {
  return `accounts: ${accounts.map((a) => `${a.name} (${a.provider}: ${a.locations.join(', ')})`).join('; ') || 'none'}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
