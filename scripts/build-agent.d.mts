import type { Metafile } from 'esbuild';

export const AGENT_BUNDLE: string;
/** Builds the agent bundle into `outfile` (default `dist/agent/gennaker-agent.mjs`); resolves to esbuild's metafile. */
export function buildAgent(outfile?: string): Promise<Metafile>;
