/**
 * Starting, recognising and stopping instance processes. Each instance runs detached in its own
 * process group with its output in a log file, so it outlives the agent; the agent finds it
 * again by pid plus start time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** How long a stopped instance gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 10_000;
const POLL_MS = 50;

export interface LaunchSpec {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
}

export interface Launched {
  pid: number;
  startTicks: string | null;
  child: ChildProcess;
}

/** Why a process could not be started (command missing, not executable, bad cwd). */
export class LaunchError extends Error {}

/**
 * Starts `spec` detached, its stdout and stderr appended to its log file. Resolves once the
 * process exists; rejects with LaunchError when it could not be started.
 */
export async function launch(spec: LaunchSpec): Promise<Launched> {
  mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    writeSync(fd, `--- ${new Date().toISOString()} starting ${[spec.command, ...spec.args].join(' ')}\n`);
    // `node` means the Node.js running this agent, so artifacts need not know where it lives (and do
    // not pick up an older one that happens to be first on PATH).
    const command = spec.command === 'node' ? process.execPath : spec.command;
    const child = spawn(command, [...spec.args], { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new LaunchError(`cannot start ${JSON.stringify(spec.command)} in ${spec.cwd}: ${err.message}`)));
    });
    // The agent may stop while its instances run on: do not hold its event loop open.
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new LaunchError(`cannot start ${JSON.stringify(spec.command)}: no pid`);
    return { pid, startTicks: startTicks(pid), child };
  } catch (err) {
    if (err instanceof LaunchError) writeSync(fd, `--- ${err.message}\n`);
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** The process's start time in clock ticks since boot; null without /proc or when it is gone. */
export function startTicks(pid: number): string | null {
  const stat = readStat(pid);
  return stat ? (stat.fields[19] ?? null) : null;
}

/**
 * True while `pid` is the process we started: it exists, is not a zombie, and (where /proc
 * tells) started when we recorded. A recycled pid is someone else's process: never signal it.
 */
export function isOurProcess(pid: number | null, ticks: string | null): boolean {
  if (pid === null) return false;
  const stat = readStat(pid);
  if (stat) return stat.fields[0] !== 'Z' && (ticks === null || stat.fields[19] === ticks);
  if (hasProc()) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops an instance's process group: SIGTERM, then SIGKILL after `graceMs`. Resolves once the
 * process is gone (or was not ours to begin with). Returns how it ended.
 */
export async function stopProcess(pid: number | null, ticks: string | null, graceMs = STOP_GRACE_MS): Promise<'gone' | 'terminated' | 'killed'> {
  if (!isOurProcess(pid, ticks) || pid === null) return 'gone';
  signalGroup(pid, 'SIGTERM');
  if (await waitForExit(pid, ticks, graceMs)) return 'terminated';
  signalGroup(pid, 'SIGKILL');
  await waitForExit(pid, ticks, 5_000);
  return 'killed';
}

/** Waits until the process is gone; false when it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, ticks: string | null, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isOurProcess(pid, ticks)) {
    if (Date.now() >= deadline) return false;
    await delay(POLL_MS);
  }
  return true;
}

/**
 * What an error message should quote from the end of a crashed process's log: the last line
 * that names an error (a stack trace's headline, not its frames), else the last lines.
 */
export function summarizeLog(tail: string, lines = 3): string {
  const meaningful = tail.split('\n').filter((line) => line.trim() && !/^\s+at /.test(line) && !line.startsWith('--- '));
  const error = meaningful.findLast((line) => /\b(error|exception|fatal|panic)\b/i.test(line));
  return error?.trim() ?? meaningful.slice(-lines).join(' | ');
}

/** The last lines of a log file (at most ~4 KB), for error messages. Empty when unreadable. */
export async function tailLog(file: string, lines = 30): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 4096);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole group, so a shell wrapper's children stop too.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

let procAvailable: boolean | undefined;
function hasProc(): boolean {
  if (procAvailable === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procAvailable = true;
    } catch {
      procAvailable = false;
    }
  }
  return procAvailable;
}

/** /proc/<pid>/stat split after the command name (which may hold spaces): [state, ppid, …]. */
function readStat(pid: number): { fields: string[] } | null {
  if (!hasProc()) return null;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { fields: text.slice(text.lastIndexOf(')') + 2).trim().split(' ') };
  } catch {
    return null;
  }
}
