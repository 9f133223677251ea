import { readdirSync, readFileSync } from 'node:fs';

/** A running process as /proc shows it (Linux), for tests that check nothing is left behind. */
export interface Proc {
  pid: number;
  pgid: number;
  cmd: string;
}

/** Every process on the machine. */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses, so read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(entry), pgid: Number(fields[2]), cmd });
    } catch {
      // It exited while we looked.
    }
  }
  return out;
}

/**
 * The processes of every group that has a process whose command line mentions `text` (a stack's
 * state directory, say): the supervisors, wrangler, its workerd children and the agent.
 */
export function processesOf(text: string): Proc[] {
  const all = processes();
  const groups = new Set(all.filter((p) => p.cmd.includes(text)).map((p) => p.pgid));
  // Never the test runner's own group.
  groups.delete(all.find((p) => p.pid === process.pid)?.pgid ?? -1);
  return all.filter((p) => groups.has(p.pgid));
}
