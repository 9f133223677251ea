import type { ChildProcess } from 'node:child_process';

type Stdio = 'pipe' | 'inherit' | 'ignore' | number;
export function spawnGroup(command: string, args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv; stdout?: Stdio; stderr?: Stdio }): ChildProcess;
export function groupAlive(pgid: number): boolean;
export function stopGroup(child: ChildProcess, graceMs?: number): Promise<void>;
export function exited(child: ChildProcess): Promise<number>;
