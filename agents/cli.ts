#!/usr/bin/env node
// gennaker-agent: registers with a Gennaker edge once, then heartbeats, runs the tasks the edge
// queues for its accounts, and reports their inventory. Node runs this TypeScript directly.
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pkg from '../package.json' with { type: 'json' };
import { FatalError, obtainIdentity, runAgent, type RunDeps } from './agent.ts';
import { parseAgentArgs, USAGE, UsageError, type AgentAccount } from './args.ts';
import { AgentClient } from './client.ts';
import { createLocalProvider } from './providers/local/index.ts';
import type { Provider } from './providers/provider.ts';
import { readState, StateFileError } from './state.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string) => process.stderr.write(`gennaker-agent: ${line}\n`);

/** Waits `ms`, returning early (not throwing) when the agent is told to stop. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/**
 * The providers for the accounts: one local provider (state beside the agent's state file) for
 * every `local` account; other providers are not in this agent yet, so their tasks fail, saying so.
 */
async function openProviders(accounts: readonly AgentAccount[], stateFile: string): Promise<Map<string, Provider>> {
  const providers = new Map<string, Provider>();
  let local: Provider | undefined;
  for (const account of accounts) {
    if (account.provider === 'local') {
      local ??= await createLocalProvider({ stateDir: path.join(path.dirname(stateFile), 'local'), log });
      providers.set(account.name, local);
    } else {
      log(`account ${account.name}: provider ${account.provider} is not available in this agent; its tasks will fail`);
    }
  }
  return providers;
}

/** Where the groups to scrape for canary metrics are kept: beside the state file, `agent.json` → `agent.scrapes.json`. */
function scrapesFile(stateFile: string): string {
  return path.join(path.dirname(stateFile), `${path.basename(stateFile, '.json')}.scrapes.json`);
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
    const deps: RunDeps = {
      connect: (server) => new AgentClient(server),
      openProviders: (accounts) => openProviders(accounts, options.stateFile),
      log,
      sleep,
      random: Math.random,
      now: () => new Date(),
      version: pkg.version,
      hostname: os.hostname(),
      metrics: {
        prometheusUrl: options.prometheusUrl,
        prometheusAllow: options.prometheusAllow,
        sdFile: options.prometheusSdFile,
        registrationsFile: scrapesFile(options.stateFile),
      },
    };
    log(`gennaker-agent ${pkg.version} starting (state file ${options.stateFile})`);
    const state = await obtainIdentity(options, saved, deps, stop.signal);
    if (state) await runAgent(state, options.stateFile, deps, stop.signal);
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
