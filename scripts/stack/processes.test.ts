import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exited, groupAlive, spawnGroup, stopGroup } from './processes.mjs';

const node = process.execPath;
/** A process that starts a grandchild (as wrangler starts workerd) and prints its pid. */
const withGrandchild = `
  const { spawn } = require('node:child_process');
  const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  console.log(g.pid);
  setInterval(() => {}, 1000);`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += chunk;
    if (text.includes('\n')) return text.split('\n')[0]!;
  }
  throw new Error(`no line in: ${text}`);
}
async function until(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
}

describe('process groups', () => {
  it('stopGroup ends the command and what it started, and resolves once they are gone', async () => {
    const child = spawnGroup(node, ['-e', withGrandchild]);
    const grandchild = Number(await firstLine(child.stdout!));
    expect(alive(grandchild)).toBe(true);
    await stopGroup(child);
    expect(groupAlive(child.pid!)).toBe(false);
    expect(alive(grandchild)).toBe(false);
  });

  it('SIGKILLs a group that ignores SIGTERM once the grace period is over', async () => {
    const child = spawnGroup(node, ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"]);
    await firstLine(child.stdout!);
    const started = Date.now();
    await stopGroup(child, 500);
    expect(groupAlive(child.pid!)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it("passes the command's exit code through", async () => {
    expect(await exited(spawnGroup(node, ['-e', 'process.exit(3)']))).toBe(3);
  });

  it('ends the group when the process that started it dies without cleaning up (SIGKILL)', async () => {
    const parentScript = `
      import { spawnGroup } from ${JSON.stringify(new URL('./processes.mjs', import.meta.url).href)};
      const child = spawnGroup(process.execPath, ['-e', ${JSON.stringify(withGrandchild)}]);
      child.stdout.once('data', (d) => console.log(child.pid, String(d).trim()));`;
    const parent = spawn(node, ['--input-type=module', '-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [pgid, grandchild] = (await firstLine(parent.stdout!)).split(' ').map(Number) as [number, number];
    expect(groupAlive(pgid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await until(() => !groupAlive(pgid), 15_000)).toBe(true);
    expect(alive(grandchild)).toBe(false);
  });
});
