import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SUPERVISOR = fileURLToPath(new URL('./supervise.mjs', import.meta.url));

/** Process groups started here and not yet known to be gone; swept when this process ends. */
const live = new Set();
let hooksInstalled = false;

/**
 * Starts `command` in a process group of its own, under a supervisor that ends the group if
 * this process dies without calling `stopGroup`. `stdout`/`stderr` are spawn stdio values.
 * Returns the supervisor's ChildProcess; its pid is the group id.
 */
export function spawnGroup(command, args, { cwd, env, stdout = 'pipe', stderr = 'pipe' } = {}) {
  installExitHooks();
  const child = spawn(process.execPath, [SUPERVISOR, command, ...args], {
    cwd,
    env,
    detached: true,
    stdio: ['pipe', stdout, stderr],
  });
  live.add(child.pid);
  child.once('exit', () => {
    // The supervisor is gone; forget the group only once it is empty too.
    if (!groupAlive(child.pid)) live.delete(child.pid);
  });
  return child;
}

/** Whether any process of group `pgid` still runs. */
export function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Ends a group started by `spawnGroup` and resolves once every process in it has exited:
 * SIGTERM first, SIGKILL for anything still there after `graceMs`.
 */
export async function stopGroup(child, graceMs = 10_000) {
  const pgid = child.pid;
  if (!groupAlive(pgid)) {
    live.delete(pgid);
    return;
  }
  signal(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pgid)) {
    signal(pgid, 'SIGKILL');
    while (groupAlive(pgid)) await sleep(20);
  }
  live.delete(pgid);
}

/** Resolves with the exit code once `child` exits (immediately if it already has). */
export function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? 1);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

function signal(pgid, name) {
  try {
    process.kill(-pgid, name);
  } catch {
    // Already gone.
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sweeps live groups when this process exits or is told to stop. A signal handler here acts
 * only when nobody else listens (an embedding program such as `npm start` stops its stack
 * itself); otherwise installing it would swallow the default "terminate" behaviour.
 */
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const pgid of live) signal(pgid, 'SIGTERM');
  });
  for (const [name, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
    process.on(name, function onSignal() {
      if (process.listeners(name).some((l) => l !== onSignal)) return;
      for (const pgid of live) signal(pgid, 'SIGTERM');
      process.exit(128 + number);
    });
  }
}
