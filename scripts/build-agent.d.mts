import type { Metafile } from 'esbuild';

export const AGENT_BUNDLE: string;
/** Where the console's static assets are built (`wrangler.toml` `[assets] directory`). */
export const CONSOLE_ASSETS: string;
/** The URL path the Worker serves the agent at: `/downloads/gennaker-agent.mjs`. */
export const AGENT_DOWNLOAD_PATH: string;
/** The served copy of the bundle, `dist/console/downloads/gennaker-agent.mjs`. */
export const SERVED_AGENT: string;
/** Builds the agent bundle into `outfile` (default `dist/agent/gennaker-agent.mjs`); resolves to esbuild's metafile. */
export function buildAgent(outfile?: string): Promise<Metafile>;
/** The URL path of the bundle's checksum: `/downloads/gennaker-agent.mjs.sha256`. */
export const AGENT_CHECKSUM_PATH: string;
/**
 * Copies the bundle among the console's static assets (default: {@link AGENT_BUNDLE} to {@link SERVED_AGENT})
 * and writes `<served>.sha256` in `sha256sum` format; resolves to the checksum's hex.
 */
export function publishAgent(bundle?: string, served?: string): Promise<string>;
