/**
 * Test support for the local provider: temp state dirs, real examples/hello processes, and a
 * cleanup that kills every process group a state file lists, so no test leaves orphans.
 */
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { operations, type OperationPayload } from '../../../contract/operations.ts';
import type { Provider } from '../provider.ts';
import { createLocalProvider } from './index.ts';
import { STATE_FILE_NAME, type LocalState } from './state.ts';
import { isOurProcess } from './supervisor.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

export interface Harness {
  stateDir: string;
  logs: string[];
  /** A provider on this harness's state dir (a second call is "the agent restarted"). */
  open: () => Promise<Provider>;
  /** Every pid the state file lists now. */
  pids: () => Promise<number[]>;
  /** Closes providers, kills every process ever listed, removes the state dir. */
  cleanup: () => Promise<void>;
}

export async function harness(): Promise<Harness> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'gennaker-local-'));
  const providers: Provider[] = [];
  const seen = new Map<number, string | null>();
  const logs: string[] = [];
  const readState = async (): Promise<LocalState | null> => {
    try {
      return JSON.parse(await readFile(path.join(stateDir, STATE_FILE_NAME), 'utf8')) as LocalState;
    } catch {
      return null;
    }
  };
  const pids = async () => {
    const state = await readState();
    const instances = state?.serverGroups.flatMap((g) => g.instances) ?? [];
    for (const i of instances) if (i.pid !== null) seen.set(i.pid, i.startTicks);
    return instances.flatMap((i) => (i.pid === null ? [] : [i.pid]));
  };
  return {
    stateDir,
    logs,
    pids,
    open: async () => {
      const provider = await createLocalProvider({ stateDir, workDir: REPO_ROOT, healthIntervalMs: 100, log: (line) => logs.push(line) });
      providers.push(provider);
      return provider;
    },
    cleanup: async () => {
      for (const provider of providers) await provider.close().catch(() => undefined);
      await pids();
      const leftovers = [...(await processesLoggingTo(stateDir)), ...[...seen].filter(([pid, ticks]) => isOurProcess(pid, ticks)).map(([pid]) => pid)];
      for (const pid of new Set(leftovers)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Gone in the meantime.
        }
      }
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A createServerGroup payload for examples/hello. */
export function helloGroup(
  name: string,
  opts: { version?: string; desired?: number; env?: Record<string, string>; timeoutSec?: number; enabled?: boolean; cluster?: string } = {},
): OperationPayload<'createServerGroup'> {
  const desired = opts.desired ?? 2;
  return operations.createServerGroup.parse({
    account: 'local',
    location: 'local',
    serverGroupName: name,
    moniker: { app: 'hello', cluster: opts.cluster ?? 'hello', sequence: Number(name.match(/v(\d+)$/)?.[1] ?? 0) },
    capacity: { min: 0, max: 10, desired },
    artifact: { type: 'process', command: 'node', args: ['examples/hello/server.mjs'], env: { VERSION: opts.version ?? '1.0.0', ...opts.env } },
    enabled: opts.enabled ?? true,
    healthCheck: { path: '/health', timeoutSec: opts.timeoutSec ?? 15 },
  });
}

/** The ref part of a payload, for enable/disable/resize/destroy. */
export function ref(op: { account: string; location: string; serverGroupName: string }) {
  return { account: op.account, location: op.location, serverGroupName: op.serverGroupName };
}

export const noLog = (): void => undefined;

export interface HelloAnswer {
  status: number;
  version?: string;
  pid?: number;
  body: string;
}

/** GETs `url` and reads hello's JSON answer (or the text of anything else). */
export async function get(url: string, signal?: AbortSignal): Promise<HelloAnswer> {
  const res = await fetch(url, signal ? { signal } : {});
  const body = await res.text();
  try {
    const json = JSON.parse(body) as { version?: string; pid?: number };
    return { status: res.status, version: json.version, pid: json.pid, body };
  } catch {
    return { status: res.status, body };
  }
}

/** Polls `check` every 50 ms until it is true; throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

/**
 * The processes whose stdout is a log file under `dir`: every instance a provider on `dir`
 * started, even one the provider has since forgotten.
 */
export async function processesLoggingTo(dir: string, namePart = ''): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const target = await readlink(`/proc/${entry}/fd/1`).catch(() => '');
    if (target.startsWith(`${dir}${path.sep}`) && target.includes(namePart) && running(Number(entry))) found.push(Number(entry));
  }
  return found;
}

/** True while `pid` runs (and is not a zombie). */
export function running(pid: number): boolean {
  return isOurProcess(pid, null);
}
