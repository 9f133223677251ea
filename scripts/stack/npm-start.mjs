import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startStack } from '../stack.mjs';
import { startDemoTraffic } from './demo-traffic.mjs';
import { stopLocalInstances } from './local-instances.mjs';
import { ROOT, tail } from './paths.mjs';
import { assertPortFree } from './wrangler.mjs';

const PORT = 8787;
const HOME = path.join(ROOT, '.gennaker');

/** `npm start`, after the Node.js version check. */
export async function main() {
  let stack;
  let traffic;
  let stopping = 0;
  const onSignal = async (signal) => {
    if (stopping) {
      // A second Ctrl-C means "now"; the exit hooks still signal every process group. A repeat
      // within a second is the same Ctrl-C relayed by a wrapper (timeout, a process manager).
      if (Date.now() - stopping > 1_000) process.exit(130);
      return;
    }
    stopping = Date.now();
    console.log(`\n${signal}: stopping Gennaker…`);
    // Still starting up: exiting runs the exit hooks, which end whatever was started so far.
    if (!stack) process.exit(130);
    await traffic?.stop();
    await stack.stop();
    const instances = await stopLocalInstances(path.join(HOME, 'state'));
    if (instances) console.log(`Stopped ${instances} instance(s) of deployed server groups; the next npm start restores them.`);
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  await mkdir(HOME, { recursive: true, mode: 0o700 });
  // Before building: a build replaces dist/console under a stack that may be serving it.
  await assertPortFree(PORT);
  await installIfNeeded();
  await buildConsole();
  stack = await startStack({
    port: PORT,
    stateDir: path.join(HOME, 'state'),
    credentialsDir: HOME,
    wranglerLog: path.join(HOME, 'wrangler.log'),
    agent: true,
    seed: true,
    quiet: false,
  });
  // A canary needs requests to judge: the demo sends a few a second through demo-hello's load balancer.
  traffic = startDemoTraffic({ url: stack.url, token: stack.adminToken, log: (line) => console.log(`[traffic] ${line}`) });
  console.log(banner(stack));
  // The stack runs until a signal; if the agent dies on its own, say so but keep the edge up.
  stack.agentProcess?.once('exit', (code) => {
    if (!stopping) console.log(`[agent] exited with code ${code}; see .gennaker/state/agent.log. The edge keeps running.`);
  });
}

function banner(stack) {
  const rel = (p) => path.relative(process.cwd(), p) || '.';
  return [
    '',
    'Gennaker is running.',
    `  Console    ${stack.url}`,
    `  Sign in    ${stack.adminEmail}  password: ${stack.adminPassword}`,
    `  API token  ${stack.adminToken}`,
    `             (admin scope; written to ${rel(path.join(HOME, 'admin-token'))})`,
    `  Logs       ${rel(path.join(HOME, 'wrangler.log'))}, ${rel(path.join(HOME, 'state', 'agent.log'))}`,
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}

/** `npm ci` when node_modules is missing or older than package-lock.json. */
async function installIfNeeded() {
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  const lock = path.join(ROOT, 'package-lock.json');
  const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
  if (!stale) return;
  console.log('Installing dependencies (npm ci)…');
  const code = await npm(['ci', '--no-audit', '--no-fund'], 'inherit');
  if (code !== 0) throw new Error(`npm ci failed with exit code ${code}`);
}

/** Builds the console into dist/console; its output goes to .gennaker/build.log. */
async function buildConsole() {
  console.log('Building the console…');
  const logFile = path.join(HOME, 'build.log');
  let output = '';
  const code = await npm(['run', 'build'], 'pipe', (chunk) => (output += chunk));
  await writeFile(logFile, output, { mode: 0o600 });
  if (code !== 0) throw new Error(`npm run build failed with exit code ${code}:\n${await tail(logFile, 30)}`);
}

/** Runs the npm that runs us (npm_execpath), else the one on PATH. */
function npm(args, stdio, onOutput) {
  const viaNode = process.env.npm_execpath && /\.(c|m)?js$/.test(process.env.npm_execpath);
  const [command, commandArgs] = viaNode ? [process.execPath, [process.env.npm_execpath, ...args]] : ['npm', args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd: ROOT, stdio: ['ignore', stdio, stdio] });
    if (onOutput) {
      child.stdout.on('data', onOutput);
      child.stderr.on('data', onOutput);
    }
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
}
