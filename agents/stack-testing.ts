/** What the agent's canary stack tests share: the admin's API caller, waiting, traffic, the hello artifact. */
import type { Stack } from '../scripts/stack.mjs';

/** The API with the admin's token, answering status and JSON whatever the status. */
export function stackCaller(stack: () => Stack | undefined) {
  return async (method: string, p: string, body?: unknown) => {
    const s = stack()!;
    const res = await fetch(`${s.url}/api/v1${p}`, {
      method,
      headers: { Authorization: `Bearer ${s.adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as any };
  };
}

/** Polls `fn` every 250 ms until it gives a value; a throw counts as "not yet". */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Requests through production's load balancer (which the baseline and canary join), until stopped. */
export function traffic(address: string) {
  let stop = false;
  const worker = async () => {
    while (!stop) await fetch(address).then((r) => r.arrayBuffer()).catch(() => new Promise((r) => setTimeout(r, 50)));
  };
  const running = Promise.all([worker(), worker(), worker()]);
  return async () => {
    stop = true;
    await running;
  };
}

/** examples/hello as a local-provider artifact, run by this Node. */
export const hello = (env: Record<string, string>) => ({ type: 'process', command: process.execPath, args: ['examples/hello/server.mjs'], env, version: env.VERSION });
