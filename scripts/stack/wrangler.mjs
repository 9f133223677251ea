import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { chmod, realpath, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { api, waitFor } from './http.mjs';
import { ROOT, tail } from './paths.mjs';
import { exited, spawnGroup, stopGroup } from './processes.mjs';

/**
 * wrangler's environment: no metrics or error reports, and no fetch of `Request.cf` from
 * workers.cloudflare.com (miniflare's fallback placeholder is fine locally, and the lookup
 * stalls without internet).
 */
function wranglerEnv() {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  };
}

/** wrangler's JS entry, run with this Node rather than whatever `node` the shebang finds. */
async function wranglerBin() {
  try {
    return await realpath(path.join(ROOT, 'node_modules', '.bin', 'wrangler'));
  } catch {
    throw new Error('wrangler is not installed (node_modules/.bin/wrangler is missing); run npm ci');
  }
}

/** Applies the committed migrations (db/migrations) to the local D1 kept in `stateDir`. */
export async function applyMigrations(stateDir) {
  const child = spawnGroup(process.execPath, [await wranglerBin(), 'd1', 'migrations', 'apply', 'gennaker', '--local', '--persist-to', stateDir], {
    cwd: ROOT,
    env: wranglerEnv(),
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await exited(child);
  if (code !== 0) {
    const last = output.trimEnd().split('\n').slice(-15).join('\n');
    throw new Error(`applying D1 migrations failed (wrangler exit code ${code}):\n${last}`);
  }
}

/**
 * Starts `wrangler dev` (workerd with the Worker, its static console and the local D1) on
 * 127.0.0.1:`port` and waits until it answers. The bootstrap secret is random for each start and
 * reaches wrangler through an env file in `stateDir`, so it is neither in the repository nor on
 * a command line that `ps` shows.
 */
export async function startEdge({ port, stateDir, logFile, timeoutMs = 90_000 }) {
  await assertPortFree(port);
  const bootstrapSecret = randomBytes(24).toString('base64url');
  const envFile = path.join(stateDir, 'bootstrap.env');
  await writeFile(envFile, `GENNAKER_BOOTSTRAP_SECRET=${bootstrapSecret}\n`, { mode: 0o600 });
  await chmod(envFile, 0o600);

  const fd = openSync(logFile, 'w', 0o600);
  const child = spawnGroup(
    process.execPath,
    [await wranglerBin(), 'dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', stateDir, '--env-file', envFile, '--show-interactive-dev-session=false'],
    { cwd: ROOT, env: wranglerEnv(), stdout: fd, stderr: fd },
  );
  closeSync(fd);

  const url = `http://localhost:${port}`;
  let exitCode = null;
  exited(child).then((code) => (exitCode = code));
  try {
    await waitFor(
      `the edge on ${url}`,
      async () => (await api(url, 'GET', '/api/v1/health', { timeoutMs: 2_000 })).json?.ok === true,
      { timeoutMs, abort: () => (exitCode === null ? undefined : `wrangler exited with code ${exitCode}`) },
    );
  } catch (err) {
    await stopGroup(child);
    err.message += `\n--- ${logFile} (last lines) ---\n${await tail(logFile)}`;
    throw err;
  }
  return { child, url, bootstrapSecret };
}

/** Fails unless 127.0.0.1:`port` is free, before anything else is started or changed. */
export async function assertPortFree(port) {
  const free = await new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!free) throw new Error(`port ${port} is in use (is another Gennaker stack running?)`);
}
