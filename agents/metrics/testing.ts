/** Test support: real `examples/hello` processes to scrape, and traffic to give them something to count. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

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
