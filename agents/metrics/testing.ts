/**
 * Test support: real `examples/hello` processes to scrape, traffic to give them something to
 * count, and a real Prometheus that discovers instances through a file_sd file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const HELLO = fileURLToPath(new URL('../../examples/hello/server.mjs', import.meta.url));

export interface Hello {
  port: number;
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `examples/hello` on `port` (0: one the OS picks) with `env`; resolves once it listens. */
export async function startHello(env: Record<string, string> = {}, port = 0): Promise<Hello> {
  const child = spawn(process.execPath, [HELLO], { env: { ...process.env, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = await new Promise<number>((resolve, reject) => {
    let output = '';
    createInterface({ input: child.stderr! }).on('line', (line) => (output += `${line}\n`));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = / listening on (\d+) /.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`hello exited (${code}) before listening: ${output}`)));
  });
  return {
    port: listening,
    address: `http://127.0.0.1:${listening}`,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Sends requests to each address, `concurrency` at a time each, until the returned function is called. */
export function driveTraffic(addresses: readonly string[], concurrency = 2): () => Promise<number> {
  let stopped = false;
  let sent = 0;
  const loops = addresses.flatMap((address) =>
    Array.from({ length: concurrency }, async () => {
      while (!stopped) {
        try {
          await (await fetch(`${address}/`)).arrayBuffer();
          sent++;
        } catch {
          // An instance being stopped: the loop ends with the test.
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }),
  );
  return async () => {
    stopped = true;
    await Promise.all(loops);
    return sent;
  };
}

const PROMETHEUS = '/usr/bin/prometheus';

/** One sample of an instant query's vector. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Prometheus {
  url: string;
  /** An instant query's vector. */
  query(promql: string): Promise<PromSample[]>;
  /** Polls `check` every 250 ms; fails at once (with Prometheus' log) if it exits, or after `timeoutMs`. */
  waitFor(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Ends its process group (SIGTERM, then SIGKILL after 10 s); safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a real Prometheus (Debian's package) on 127.0.0.1:`port`, its config and data under
 * `dir`, scraping every target the file_sd file `sdFile` lists every `scrapeIntervalSec`;
 * resolves once it is ready.
 */
export async function startPrometheus(opts: { port: number; dir: string; sdFile: string; scrapeIntervalSec?: number }): Promise<Prometheus> {
  const interval = `${opts.scrapeIntervalSec ?? 1}s`;
  const config = path.join(opts.dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${interval}`,
      'scrape_configs:',
      '  - job_name: gennaker',
      '    file_sd_configs:',
      `      - files: [${JSON.stringify(opts.sdFile)}]`,
      '        refresh_interval: 1s',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${opts.port}`;
  // Its own process group, so stopping it cannot miss a child.
  const child = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(opts.dir, 'data')}`, `--web.listen-address=127.0.0.1:${opts.port}`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A spawn failure (no such binary) arrives as 'error' and may come without 'exit'.
  child.once('error', (err) => (log += `\n${err.message}`));
  const ended = () => child.exitCode !== null || child.signalCode !== null;

  const prometheus: Prometheus = {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
      const body = (await res.json()) as { data: { result: PromSample[] } };
      return body.data.result;
    },
    async waitFor(what, check, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (await check().catch(() => false)) return;
        if (ended() || child.pid === undefined) throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}):\n${log}`);
        if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; prometheus said:\n${log.slice(-4000)}`);
        await delay(250);
      }
    },
    async stop() {
      if (child.pid === undefined || ended()) return;
      process.kill(-child.pid, 'SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), delay(10_000).then(() => false)]);
      if (!stopped) process.kill(-child.pid, 'SIGKILL');
      await exited;
    },
  };
  try {
    await prometheus.waitFor('Prometheus ready', async () => (await fetch(`${url}/-/ready`)).ok);
  } catch (err) {
    await prometheus.stop();
    throw err;
  }
  return prometheus;
}
