// A throwaway local stack for a benchmark: its own state folder and port, an admin API caller,
// and a stop that removes both.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startStack } from '../scripts/stack.mjs';

/** Starts a stack on `port`; `call(method, path, body)` answers JSON or throws on a non-2xx. */
export async function benchStack(port, options = {}) {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-bench-'));
  const stack = await startStack({ port, stateDir, agent: false, seed: false, ...options });
  const call = async (method, p, body) => {
    const res = await fetch(`${stack.url}/api/v1${p}`, {
      method,
      headers: { Authorization: `Bearer ${stack.adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const stop = async () => {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  return { stack, stateDir, call, stop };
}
