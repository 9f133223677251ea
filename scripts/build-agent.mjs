// Bundles the agent into one file (`dist/agent/gennaker-agent.mjs`). It runs the same code as
// `node agents/cli.ts`, but starts without Node's TypeScript stripping and with one module
// instead of dozens, which roughly halves the agent's resident memory. A copy goes among the
// console's static assets, so the Worker serves it at `/downloads/gennaker-agent.mjs` and the
// console's install commands can fetch the agent from the edge it will talk to, with its SHA-256
// beside it (`gennaker-agent.mjs.sha256`) so the commands check what they fetched. Run directly, it
// builds and publishes; imported, it exports `buildAgent` and `publishAgent` (the tests use a
// temporary folder).
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const AGENT_BUNDLE = path.join(ROOT, 'dist', 'agent', 'gennaker-agent.mjs');
/** Where the console's static assets are built (`wrangler.toml` `[assets] directory`). */
export const CONSOLE_ASSETS = path.join(ROOT, 'dist', 'console');
/** The URL path the Worker serves the agent at; the console's install commands download it from there. */
export const AGENT_DOWNLOAD_PATH = '/downloads/gennaker-agent.mjs';
/** The served copy of the bundle. */
export const SERVED_AGENT = path.join(CONSOLE_ASSETS, ...AGENT_DOWNLOAD_PATH.split('/'));
/** Where the bundle's checksum is served: the console puts it into the install commands. */
export const AGENT_CHECKSUM_PATH = `${AGENT_DOWNLOAD_PATH}.sha256`;

/**
 * Node's built-in modules through `require`, not `import`. An ES import of a built-in reads every
 * export, and `node:http` has lazy getters (WebSocket, MessageEvent, CloseEvent) that load undici,
 * fetch's engine: a few MB resident in an agent that does not call fetch. `require` reads none.
 */
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    const names = builtinModules.map((m) => m.replace(/[/\\]/g, '\\$&')).join('|');
    // The stand-in's own require() is the real one: external, left to the banner's createRequire.
    b.onResolve({ filter: new RegExp(`^(node:.+|${names})$`) }, (args) => (args.namespace === 'builtin' ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * Zod with its English messages only. `import { z } from 'zod'` brings every locale (about 40,
 * 350 kB of code: ~8 MB of the agent's resident memory), and the agent never switches from English.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    const english = createRequire(import.meta.url).resolve('zod/v4/locales/en.js');
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (args.importer.includes(`${path.sep}zod${path.sep}`) ? { path: 'zod-locales', namespace: 'zod-english' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-english' }, () => ({ contents: `export { default as en } from ${JSON.stringify(english)};`, loader: 'js', resolveDir: ROOT }));
  },
};

/** Builds the agent bundle into `outfile`; resolves to esbuild's metafile (what went in). */
export async function buildAgent(outfile = AGENT_BUNDLE) {
  const { metafile } = await build({
    entryPoints: [path.join(ROOT, 'agents', 'cli.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile,
    // Less source for V8 to keep: names stay (stack traces and error messages read well).
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [builtinsByRequire, zodEnglishOnly],
    // The require() of built-ins above, and dependencies that still call it, need one made for them.
    banner: { js: "import { builtinModules, createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
  });
  return metafile;
}

/**
 * Copies the bundle among the console's static assets, and writes its SHA-256 beside it as
 * `sha256sum` writes it (`<hex>  gennaker-agent.mjs`), so `sha256sum -c` checks a download. A
 * copy, not a second build: what a user downloads is byte for byte what the stack runs. This runs
 * after `vite build`, which empties the console's folder first (`npm run build` is
 * `vite build && node scripts/build-agent.mjs`). Resolves to the checksum's hex.
 */
export async function publishAgent(bundle = AGENT_BUNDLE, served = SERVED_AGENT) {
  await mkdir(path.dirname(served), { recursive: true });
  await copyFile(bundle, served);
  // Hashed from the copy, so the checksum is of the very bytes served.
  const hex = createHash('sha256').update(await readFile(served)).digest('hex');
  await writeFile(`${served}.sha256`, `${hex}  ${path.basename(served)}\n`);
  return hex;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildAgent();
  await publishAgent();
}
