// Runs one command as the leader of its own process group and makes sure the group dies with
// its parent. The parent (scripts/stack/processes.mjs) spawns this detached with stdin as a pipe
// that it never writes: when that pipe closes, the parent is gone, even if it was SIGKILLed, and
// the whole group (wrangler and its workerd children, or the agent) is terminated.
// Usage: node supervise.mjs COMMAND [ARG…]
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const GRACE_MS = 10_000;
const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });

let ending = false;
/** Stops the group: SIGTERM now (unless it already got one), SIGKILL for whatever is left after the grace period. */
function endGroup(alreadySignalled) {
  if (ending) return;
  ending = true;
  if (!alreadySignalled) signalGroup('SIGTERM');
  setTimeout(() => signalGroup('SIGKILL'), GRACE_MS).unref();
}

function signalGroup(signal) {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // The group is already empty.
  }
}

// A signal sent to the group reaches the child too; the supervisor only waits for it to exit.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => endGroup(true));
process.stdin.on('end', () => endGroup(false));
process.stdin.on('error', () => endGroup(false));
process.stdin.resume();

child.on('error', (err) => {
  process.stderr.write(`cannot start ${command}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  // Grandchildren the command left behind go too. The supervisor's own SIGTERM handler keeps it alive to exit with the child's status.
  ending = true;
  signalGroup('SIGTERM');
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
