import type { ChildProcess } from 'node:child_process';

export const AGENT_CLI: string;
export const AGENT_BUNDLE: string;
/** The Node options the agent runs with (a small heap, no optimizing compilers). */
export const MEMORY_FLAGS: string[];
/** Whether the agent bundle exists and is newer than every source it is built from. */
export function bundleIsFresh(): boolean;
/** `[command, args]` that run the agent CLI with this Node (adding the type-stripping flag where needed). */
export function agentCommand(args: string[]): [string, string[]];
export function startAgent(options: {
  url: string;
  adminToken: string;
  stateDir: string;
  name?: string;
  say: (line: string) => void;
  logFile: string;
  timeoutMs?: number;
  /** More command-line options for the agent. */
  extraArgs?: string[];
}): Promise<{ child: ChildProcess; agentId: string }>;
