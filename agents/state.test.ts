import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readState, StateFileError, writeState, type AgentState } from './state.ts';

const state: AgentState = {
  server: 'https://cd.example.com',
  agentId: 'abcdefghijkl',
  name: 'edge-1',
  credential: 'gna_abcdefghijkl_0123456789abcdef0123456789abcdef',
  accounts: [{ name: 'local', provider: 'local', locations: ['local'] }],
  registeredAt: '2026-01-02T03:04:05.000Z',
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gennaker-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('agent state file', () => {
  it('round-trips', async () => {
    const file = path.join(dir, 'agent.json');
    await writeState(file, state);
    expect(await readState(file)).toEqual(state);
  });

  it('is readable by its owner only, whatever the umask, in a private new directory', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'agent.json');
    const old = process.umask(0);
    try {
      await writeState(file, state);
    } finally {
      process.umask(old);
    }
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  });

  it('replaces an older file and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'agent.json');
    await writeFile(file, 'old', { mode: 0o644 });
    await writeState(file, { ...state, name: 'renamed' });
    expect((await readState(file))?.name).toBe('renamed');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['agent.json']);
  });

  it('is null before the first start', async () => {
    expect(await readState(path.join(dir, 'missing.json'))).toBeNull();
  });

  it('refuses a file that is not JSON, or not an agent state, saying which file', async () => {
    const file = path.join(dir, 'agent.json');
    await writeFile(file, '{not json');
    await expect(readState(file)).rejects.toThrow(StateFileError);
    await expect(readState(file)).rejects.toThrow(`state file ${file} is not JSON`);
    await writeFile(file, JSON.stringify({ ...state, credential: undefined }));
    await expect(readState(file)).rejects.toThrow(/is not an agent state \(credential: /);
    await writeFile(file, JSON.stringify({ ...state, extra: 1 }));
    await expect(readState(file)).rejects.toThrow(StateFileError);
  });

  it('writes nothing when the state is invalid', async () => {
    const file = path.join(dir, 'agent.json');
    await expect(writeState(file, { ...state, server: 'not a url' })).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });

  it('stores the credential as given, as JSON', async () => {
    const file = path.join(dir, 'agent.json');
    await writeState(file, state);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(state);
  });
});
