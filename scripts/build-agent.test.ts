// The agent bundle as the stack runs it, with only the code it uses: no undici (fetch's engine,
// megabytes resident once loaded) and no zod locale but English; and its copy among the console's
// static assets with its checksum, which is what the console's install commands download and check.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { AGENT_CHECKSUM_PATH as COMMANDS_CHECKSUM_PATH, AGENT_DOWNLOAD_PATH as COMMANDS_DOWNLOAD_PATH } from '../app/routes/agents/install-commands.ts';
import { AGENT_BUNDLE, AGENT_CHECKSUM_PATH, AGENT_DOWNLOAD_PATH, buildAgent, CONSOLE_ASSETS, publishAgent, SERVED_AGENT } from './build-agent.mjs';
import { MEMORY_FLAGS, AGENT_BUNDLE as STACK_BUNDLE } from './stack/agent.mjs';

let dir = '';
let bundle = '';
let inputs: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gennaker-bundle-'));
  bundle = path.join(dir, 'gennaker-agent.mjs');
  inputs = Object.keys((await buildAgent(bundle)).inputs);
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the agent bundle', () => {
  it("starts with the stack's Node options and loads no undici", async () => {
    const report = 'data:text/javascript,process.on("exit",()=>process.stderr.write(JSON.stringify(process.moduleLoadList.filter((m)=>/undici/.test(m)))))';
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...MEMORY_FLAGS, '--import', report, bundle, '--version']);
    expect(stdout.trim()).toBe(pkg.version);
    expect(JSON.parse(stderr)).toEqual([]);
  });

  it("carries zod's English messages and no other locale", () => {
    expect(inputs.filter((p) => p.includes('zod/v4/locales/'))).toEqual(['node_modules/zod/v4/locales/en.js']);
  });
});

describe('the served copy of the bundle', () => {
  it('is byte for byte the bundle, in a folder of its own that `vite build` does not have to make', async () => {
    const served = path.join(dir, 'console', 'downloads', 'gennaker-agent.mjs');
    const same = async () => (await readFile(served)).equals(await readFile(bundle));
    await publishAgent(bundle, served);
    expect(await same()).toBe(true);
    // A later build replaces what an earlier one served.
    await writeFile(served, '// an older agent\n');
    await publishAgent(bundle, served);
    expect(await same()).toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [served, '--version']);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('has its SHA-256 beside it in the format `sha256sum -c` checks, renewed with every build', async () => {
    const folder = path.join(dir, 'checked');
    const served = path.join(folder, 'gennaker-agent.mjs');
    await writeFile(bundle.replace(/\.mjs$/, '.old.mjs'), '// an older agent\n');
    await publishAgent(bundle.replace(/\.mjs$/, '.old.mjs'), served);
    const hex = await publishAgent(bundle, served);
    const line = await readFile(`${served}.sha256`, 'utf8');
    expect(line).toBe(`${createHash('sha256').update(await readFile(bundle)).digest('hex')}  gennaker-agent.mjs\n`);
    expect(line.slice(0, 64)).toBe(hex);
    // The real tool, in the download's folder, as the install commands run it.
    const check = promisify(execFile)('sha256sum', ['-c', 'gennaker-agent.mjs.sha256'], { cwd: folder });
    expect((await check).stdout).toBe('gennaker-agent.mjs: OK\n');
    await writeFile(served, '// tampered\n');
    await expect(promisify(execFile)('sha256sum', ['-c', 'gennaker-agent.mjs.sha256'], { cwd: folder })).rejects.toMatchObject({ code: 1 });
  });

  it('sits among the static assets the Worker serves, at the path the install commands download', async () => {
    const wrangler = await readFile(path.join(import.meta.dirname, '..', 'wrangler.toml'), 'utf8');
    const assets = /^\[assets\][^[]*?^directory\s*=\s*"([^"]+)"/m.exec(wrangler)?.[1];
    expect(CONSOLE_ASSETS).toBe(path.resolve(import.meta.dirname, '..', assets!));
    expect(AGENT_DOWNLOAD_PATH).toBe(COMMANDS_DOWNLOAD_PATH);
    expect(AGENT_CHECKSUM_PATH).toBe(COMMANDS_CHECKSUM_PATH);
    expect(SERVED_AGENT).toBe(path.join(CONSOLE_ASSETS, AGENT_DOWNLOAD_PATH));
    // The stack runs the bundle the build makes, the same file the served copy is made from.
    expect(STACK_BUNDLE).toBe(AGENT_BUNDLE);
  });
});
