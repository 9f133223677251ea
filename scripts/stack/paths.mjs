import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The repository root: wrangler.toml, node_modules and `.gennaker/` live here. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The last `lines` lines of a log file, for error messages; empty when there is none. */
export async function tail(file, lines = 20) {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
