import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { agentAccount } from '../contract/agents.ts';

/** What an agent keeps between starts: who it is and the credential it got at registration. */
export const agentState = z.strictObject({
  server: z.url(),
  agentId: z.string().min(1),
  name: z.string().min(1),
  credential: z.string().min(1),
  /** The accounts it registered with; the edge keeps these until the agent registers anew. */
  accounts: z.array(agentAccount),
  registeredAt: z.iso.datetime(),
});
export type AgentState = z.infer<typeof agentState>;

/** The state file exists but cannot be used: unreadable, not JSON, or not an agent state. */
export class StateFileError extends Error {}

/** Reads the state file; null when there is none yet (first start). */
export async function readState(file: string): Promise<AgentState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateFileError(`cannot read state file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StateFileError(`state file ${file} is not JSON; remove it and register again with a new install token`);
  }
  const parsed = agentState.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new StateFileError(`state file ${file} is not an agent state (${where}${issue?.message ?? 'invalid'}); remove it and register again`);
  }
  return parsed.data;
}

/**
 * Writes the state file readable by its owner only (it holds a credential). The write goes to a
 * temporary file first and is renamed over the old one, so a crash never leaves half a file.
 */
export async function writeState(file: string, state: AgentState): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await rm(tmp, { force: true });
    await writeFile(tmp, `${JSON.stringify(agentState.parse(state), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    // `mode` is filtered by the umask; say it again so the file is 0600 whatever the umask.
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
