import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ACCOUNTS, nameFromHost, type AgentAccount, type AgentOptions } from './args.ts';
import { AgentApiError, type AgentClient } from './client.ts';
import { startInventoryReporter, type InventoryOptions, type Timers } from './inventory.ts';
import { openAgentMetrics, type AgentMetricsOptions } from './metrics/index.ts';
import type { Provider } from './providers/provider.ts';
import { retryDelayMs, seconds } from './retry.ts';
import { writeState, type AgentState } from './state.ts';
import { TaskWorker, type WorkerOptions } from './worker.ts';

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

export { retryDelayMs } from './retry.ts';

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

/** What running a registered agent needs beyond its lifecycle: the whole protocol, and providers. */
export interface RunDeps extends AgentDeps {
  connect: (server: string) => Pick<AgentClient, 'register' | 'heartbeat' | 'pollTasks' | 'heartbeatTask' | 'completeTask' | 'reportInventory'>;
  /** Opens the providers of the accounts, by account name; an account without one is left out. */
  openProviders: (accounts: readonly AgentAccount[]) => Promise<Map<string, Provider>>;
  worker?: Partial<WorkerOptions>;
  inventory?: Partial<InventoryOptions> & { timers?: Timers };
  /** Canary metrics: default Prometheus, the file_sd file, where scrape registrations are kept. */
  metrics?: AgentMetricsOptions;
}

/**
 * Runs a registered agent until `signal` is aborted or something fatal happens: heartbeats, the
 * task loop and inventory reports. On stop, running tasks finish and report before providers close.
 */
export async function runAgent(state: AgentState, stateFile: string, deps: RunDeps, signal: AbortSignal): Promise<void> {
  const client = deps.connect(state.server);
  const providers = await deps.openProviders(state.accounts);
  const metrics = await openAgentMetrics(providers, deps.metrics ?? {}, { log: deps.log, now: () => deps.now().getTime() }).catch(async (err: unknown) => {
    await Promise.all([...new Set(providers.values())].map((p) => p.close()));
    throw err;
  });
  const stop = new AbortController();
  const onStop = () => stop.abort();
  signal.addEventListener('abort', onStop, { once: true });
  if (signal.aborted) stop.abort();
  const credential = state.credential;
  const worker = new TaskWorker(
    { client, credential, providerFor: (account) => providers.get(account), log: deps.log, sleep: deps.sleep, random: deps.random, now: () => deps.now().getTime(), metrics },
    deps.worker,
  );
  const { timers, ...inventoryOptions } = deps.inventory ?? {};
  const reporter = startInventoryReporter(providers, { send: (report) => client.reportInventory(credential, report), log: deps.log, ...(timers ? { timers } : {}) }, inventoryOptions);
  // The first loop to fail stops the other; both end before the providers close.
  const loops = [heartbeatLoop(state, stateFile, deps, stop.signal), worker.run(stop.signal)].map((loop) =>
    loop.catch((err: unknown) => {
      stop.abort();
      throw err;
    }),
  );
  const settled = await Promise.allSettled(loops);
  signal.removeEventListener('abort', onStop);
  await reporter.stop();
  await metrics.close();
  await Promise.all([...new Set(providers.values())].map((p) => p.close()));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
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
