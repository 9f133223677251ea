/**
 * The agent's checksum as the edge serves it beside the agent (`scripts/build-agent.mjs` writes
 * it), for the install commands to check their download against.
 */
import { AGENT_CHECKSUM_PATH, AGENT_FILE } from './install-commands.ts';

/** The hex of a `sha256sum` line for the agent file, or null when `text` is not one. */
export function parseChecksum(text: string): string | null {
  const match = /^([0-9a-f]{64}) [ *](\S+)\n?$/.exec(text);
  return match && match[2] === AGENT_FILE ? match[1]! : null;
}

/**
 * Reads the agent's SHA-256 from the edge at `origin`. Throws an Error saying what is missing: a
 * static file that is not there comes back as the console's page (the SPA fallback), not a 404.
 */
export async function fetchAgentChecksum(origin: string, fetchFn: typeof fetch = fetch): Promise<string> {
  const url = `${origin.replace(/\/+$/, '')}${AGENT_CHECKSUM_PATH}`;
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (err) {
    throw new Error(`cannot read the agent's checksum from ${url} (${(err as Error).message})`);
  }
  const hex = res.ok ? parseChecksum(await res.text()) : null;
  if (!hex) {
    throw new Error(
      `this Gennaker serves no agent checksum at ${url} (${res.ok ? 'not a sha256sum line' : `HTTP ${res.status}`}), so the install commands cannot check their download: deploy it with the agent (npm run build builds both)`,
    );
  }
  return hex;
}
