import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from './check-node.mjs';

describe('nodeVersionProblem', () => {
  it.each(['22.12.0', '22.18.1', '23.0.0', '24.21.0', 'v30.1.2'])('%s is new enough', (version) => {
    expect(nodeVersionProblem(version)).toBeNull();
  });

  it.each([
    ['20.20.2', 'Gennaker needs Node.js 22.12 or newer (this is v20.20.2). Install Node.js 22.12+ and run again.'],
    ['22.11.0', 'Gennaker needs Node.js 22.12 or newer (this is v22.11.0). Install Node.js 22.12+ and run again.'],
    ['v18.0.0', 'Gennaker needs Node.js 22.12 or newer (this is v18.0.0). Install Node.js 22.12+ and run again.'],
  ])('%s is too old', (version, message) => {
    expect(nodeVersionProblem(version)).toBe(message);
  });
});

/** An older Node on this machine (Debian's), if there is one, to run the real thing with. */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const version = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      if (nodeVersionProblem(version)) return candidate;
    } catch {
      // Not there.
    }
  }
  return undefined;
}
const old = oldNode();

describe.skipIf(!old)('with an old Node.js', () => {
  it.each(['check-node.mjs', 'start.mjs'])('%s prints one line and exits 1, without a stack trace', (script) => {
    const result = spawnSync(old!, [fileURLToPath(new URL(script, import.meta.url))], { encoding: 'utf8', timeout: 10_000 });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Gennaker needs Node.js 22.12 or newer \(this is v\d+\.\d+\.\d+\)\. Install Node.js 22.12\+ and run again.\n$/);
  });
});

describe('with this Node.js', () => {
  it('check-node.mjs is silent and exits 0', () => {
    const result = spawnSync(process.execPath, [fileURLToPath(new URL('check-node.mjs', import.meta.url))], { encoding: 'utf8' });
    expect(result).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });
});
