/**
 * The local provider: server groups as real processes on the agent's machine, each behind a
 * local HTTP load balancer. State lives in `<stateDir>/local-provider.json`, so a restarted
 * agent adopts what the last one started instead of orphaning or killing it.
 */
import path from 'node:path';
import type { Provider } from '../provider.ts';
import { LocalProvider } from './operations.ts';
import { StateStore } from './state.ts';

export interface LocalProviderOptions {
  /** Where the state file and instance logs live. */
  stateDir: string;
  /** Where instances and load balancers listen; default 127.0.0.1. */
  host?: string;
  /** The working directory of instance commands; default the agent's own. */
  workDir?: string;
  /** How often each instance's health endpoint is checked; default 1000 ms. */
  healthIntervalMs?: number;
  /** Background events (health changes, restarts, adoption); default: none. */
  log?: (line: string) => void;
}

/** Opens the local provider on `stateDir`, re-adopting what an earlier agent left running. */
export async function createLocalProvider(opts: LocalProviderOptions): Promise<Provider> {
  const stateDir = path.resolve(opts.stateDir);
  const store = new StateStore(stateDir);
  const state = await store.load();
  const provider = new LocalProvider(
    {
      stateDir,
      host: opts.host ?? '127.0.0.1',
      workDir: path.resolve(opts.workDir ?? process.cwd()),
      healthIntervalMs: opts.healthIntervalMs ?? 1_000,
      log: opts.log ?? (() => undefined),
    },
    state,
    store,
  );
  await provider.resume();
  return provider;
}

export { STATE_FILE_NAME } from './state.ts';
