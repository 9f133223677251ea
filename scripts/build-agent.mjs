// Bundles the agent into one file (`dist/agent/gennaker-agent.mjs`). It runs the same code as
// `node agents/cli.ts`, but starts without Node's TypeScript stripping and with one module
// instead of dozens, which roughly halves the agent's resident memory.
import { build } from 'esbuild';

await build({
  entryPoints: ['agents/cli.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  outfile: 'dist/agent/gennaker-agent.mjs',
  // Some dependencies still call require(); ESM bundles need one made for them.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: 'warning',
});
