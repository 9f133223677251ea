import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { api, apiExpect, waitFor } from './http.mjs';
import { ROOT, tail } from './paths.mjs';
import { exited, spawnGroup, stopGroup } from './processes.mjs';

export const AGENT_CLI = path.join(ROOT, 'agents', 'cli.ts');
export const AGENT_BUNDLE = path.join(ROOT, 'dist', 'agent', 'gennaker-agent.mjs');

/**
 * V8 settings for a small agent, each measured (RSS with 20 server groups, bench/agent.mjs):
 * - a small young generation: the agent allocates little and briefly (polls, health checks), and
 *   V8's default of up to 16 MB per semi-space is most of its resident memory otherwise;
 * - no optimizing compilers (`--no-opt --no-maglev`) and `--optimize-for-size`: 66 MB instead of
 *   77–93 MB (optimized code and its feedback, more or less each run). The agent is I/O-bound and
 *   its load balancers parse HTTP in Node's C++, so task pickup did not get slower. Sparkplug, the
 *   baseline compiler, stays, and so does WebAssembly: `--lite-mode` saves 2 MB more but runs
 *   only the interpreter and has no WebAssembly, which fetch and Node's type stripping need.
 *   (`--single-threaded-gc`, `--v8-pool-size`, UV_THREADPOOL_SIZE: no measurable difference.)
 */
export const MEMORY_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size', '--no-opt', '--no-maglev'];

/** Newest modification time of the sources the bundle is built from. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(path.join(ROOT, 'agents'));
  walk(path.join(ROOT, 'contract'));
  return newest;
}

/** Whether `dist/agent/gennaker-agent.mjs` exists and is newer than every source it is built from. */
export function bundleIsFresh() {
  return existsSync(AGENT_BUNDLE) && statSync(AGENT_BUNDLE).mtimeMs >= newestSource();
}

/**
 * How to run the agent: the bundle `npm run build` makes when it is up to date (it needs half the
 * memory), else the TypeScript itself (22.18+ strips types by default; 22.12–22.17 need the flag).
 */
export function agentCommand(args) {
  if (bundleIsFresh()) return [process.execPath, [...MEMORY_FLAGS, AGENT_BUNDLE, ...args]];
  const strip = process.features.typescript ? [] : ['--experimental-strip-types', '--disable-warning=ExperimentalWarning'];
  return [process.execPath, [...MEMORY_FLAGS, ...strip, AGENT_CLI, ...args]];
}

/** The saved agent state, when it is for this server and the edge still accepts its credential. */
async function usableSavedState(url, stateFile) {
  let saved;
  try {
    saved = JSON.parse(await readFile(stateFile, 'utf8'));
  } catch {
    return undefined;
  }
  // A rough shape check (agents/state.ts has the schema): a file the agent would refuse means registering anew.
  if (saved?.server !== url || typeof saved.credential !== 'string' || typeof saved.agentId !== 'string' || !Array.isArray(saved.accounts)) return undefined;
  const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
  const res = await api(url, 'POST', '/api/agent/v1/heartbeat', { token: saved.credential, body: { version } });
  return res.status === 200 ? saved : undefined;
}

/**
 * Starts the local agent (`agents/cli.ts`) for the stack at `url` and waits until the edge lists
 * it online. It reuses the identity in `<stateDir>/agent.json` when the edge still accepts it;
 * otherwise it registers anew with a fresh one-time install token.
 */
export async function startAgent({ url, adminToken, stateDir, name = 'local-agent', say, logFile, timeoutMs = 60_000, extraArgs = [] }) {
  const stateFile = path.join(stateDir, 'agent.json');
  const args = ['--server', url, '--state', stateFile, '--name', name, ...extraArgs];
  if (!(await usableSavedState(url, stateFile))) {
    await rm(stateFile, { force: true });
    const { token } = await apiExpect(201, url, 'POST', '/api/v1/agents/install-tokens', { token: adminToken, body: { expiresInMinutes: 10 } });
    args.push('--token', token);
  }
  const [command, commandArgs] = agentCommand(args);
  // Online means heard from since this start: the credential check above counts as a heartbeat too.
  const startedAt = Date.now();
  const child = spawnGroup(command, commandArgs, { cwd: ROOT });
  const logStream = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      logStream.write(`${line}\n`);
      say(`[agent] ${line}`);
    });
  }
  child.once('close', () => logStream.end());

  let exitCode = null;
  exited(child).then((code) => (exitCode = code));
  try {
    const agentId = await waitFor(
      'the local agent to come online',
      async () => {
        const state = JSON.parse(await readFile(stateFile, 'utf8'));
        const { items } = await apiExpect(200, url, 'GET', '/api/v1/agents', { token: adminToken });
        const seen = items.find((a) => a.id === state.agentId && a.status === 'online' && Date.parse(a.lastSeenAt) >= startedAt);
        return seen ? state.agentId : undefined;
      },
      { timeoutMs, abort: () => (exitCode === null ? undefined : `the agent exited with code ${exitCode}`) },
    );
    return { child, agentId };
  } catch (err) {
    await stopGroup(child);
    err.message += `\n--- ${logFile} (last lines) ---\n${await tail(logFile)}`;
    throw err;
  }
}
