// The agent bundle as the stack runs it, with only the code it uses: no undici (fetch's engine,
// megabytes resident once loaded) and no zod locale but English.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { buildAgent } from './build-agent.mjs';
import { MEMORY_FLAGS } from './stack/agent.mjs';

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
