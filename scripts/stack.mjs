// The local Gennaker stack: local D1 with the committed migrations, `wrangler dev` serving the
// API and the built console, a bootstrapped admin, demo data, and a local agent. `npm start`
// runs it (scripts/start.mjs); the e2e and *.stack tests start their own on other ports.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ensureAdmin } from './stack/admin.mjs';
import { startAgent } from './stack/agent.mjs';
import { ROOT } from './stack/paths.mjs';
import { stopGroup } from './stack/processes.mjs';
import { seedDemo } from './stack/seed.mjs';
import { applyMigrations, assertPortFree, startEdge } from './stack/wrangler.mjs';

export { ADMIN_EMAIL } from './stack/admin.mjs';
export { DEMO_APPLICATION, DEMO_CANARY_PIPELINE, DEMO_DEPLOY_PIPELINE, DEMO_PIPELINE, seedDemo } from './stack/seed.mjs';

/** Where `npm start` keeps the local D1 and the agent's identity. */
export const DEFAULT_STATE_DIR = path.join(ROOT, '.gennaker', 'state');

/**
 * Starts a local stack and resolves once the edge answers, the admin exists, the demo data is
 * there (`seed`) and the local agent is online (`agent`). `stop()` ends every process it started
 * and resolves once they are gone; they are also ended if this process exits or is killed.
 */
export async function startStack({
  port = 8787,
  stateDir = DEFAULT_STATE_DIR,
  agent = true,
  seed = true,
  quiet = true,
  log,
  credentialsDir,
  wranglerLog,
  /** More command-line options for the local agent (e.g. `--prometheus-url`). */
  agentArgs = [],
} = {}) {
  const dir = path.resolve(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const say = log ?? (quiet ? () => {} : (line) => console.log(line));
  const children = [];
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      // The agent first, so it does not spend its last seconds failing to reach a stopped edge.
      for (const child of children.reverse()) await stopGroup(child);
    })());

  await assertPortFree(port);
  try {
    say('Applying D1 migrations…');
    await applyMigrations(dir);
    say(`Starting the edge (wrangler dev) on port ${port}…`);
    const edge = await startEdge({ port, stateDir: dir, logFile: wranglerLog ?? path.join(dir, 'wrangler.log') });
    children.push(edge.child);
    const admin = await ensureAdmin({ url: edge.url, bootstrapSecret: edge.bootstrapSecret, credentialsDir: credentialsDir ?? dir });
    say(admin.reused ? `Admin ${admin.email}: saved token still valid` : `Admin ${admin.email} bootstrapped`);
    if (seed) {
      const created = await seedDemo({ url: edge.url, token: admin.token, ownerEmail: admin.email });
      say(created.application || created.pipeline ? 'Demo application "demo" and its pipeline created' : 'Demo application "demo" already there');
    }
    let agentProcess;
    if (agent) {
      say('Starting the local agent…');
      const started = await startAgent({ url: edge.url, adminToken: admin.token, stateDir: dir, say, logFile: path.join(dir, 'agent.log'), extraArgs: agentArgs });
      children.push(started.child);
      agentProcess = started.child;
      say(`Agent ${started.agentId} online`);
    }
    return { url: edge.url, adminEmail: admin.email, adminPassword: admin.password, adminToken: admin.token, agentProcess, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
