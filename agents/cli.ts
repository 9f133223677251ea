#!/usr/bin/env node
// gennaker-agent: registers with a Gennaker edge once, then heartbeats (and, from issue 4, does
// the deploy work of its accounts' providers). Node runs this TypeScript directly.
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import pkg from '../package.json' with { type: 'json' };
import { FatalError, heartbeatLoop, obtainIdentity, type AgentDeps } from './agent.ts';
import { parseAgentArgs, USAGE, UsageError } from './args.ts';
import { AgentClient } from './client.ts';
import { readState, StateFileError } from './state.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string) => process.stderr.write(`gennaker-agent: ${line}\n`);

/** Waits `ms`, returning early (not throwing) when the agent is told to stop. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/** Runs the agent; resolves to the process exit code. */
async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseAgentArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    fail(`${err.message} (see --help)`);
    return 2;
  }
  if (parsed.command === 'help') return log(USAGE), 0;
  if (parsed.command === 'version') return log(pkg.version), 0;
  const { options } = parsed;

  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C means now: the first one is waiting for a request to finish.
    if (stop.signal.aborted) process.exit(130);
    log(`${signal}: stopping`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const saved = await readState(options.stateFile);
    const deps: AgentDeps = {
      connect: (server) => new AgentClient(server),
      log,
      sleep,
      random: Math.random,
      now: () => new Date(),
      version: pkg.version,
      hostname: os.hostname(),
    };
    log(`gennaker-agent ${pkg.version} starting (state file ${options.stateFile})`);
    const state = await obtainIdentity(options, saved, deps, stop.signal);
    if (state) await heartbeatLoop(state, options.stateFile, deps, stop.signal);
    log('stopped');
    return 0;
  } catch (err) {
    if (err instanceof FatalError || err instanceof StateFileError) {
      fail(err.message);
      return 1;
    }
    throw err;
  }
}

process.exit(await main(process.argv.slice(2)));
