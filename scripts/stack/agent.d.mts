import type { ChildProcess } from 'node:child_process';

export const AGENT_CLI: string;
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
}): Promise<{ child: ChildProcess; agentId: string }>;
