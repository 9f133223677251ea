import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: root('wrangler.toml') },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(root('db/migrations')),
          GENNAKER_BOOTSTRAP_SECRET: 'test-bootstrap-secret-0123456789',
        },
      },
    }),
  ],
  test: {
    name: 'edge',
    root: root(''),
    include: ['edge/**/*.test.ts'],
    // Tests that need the real local stack (wrangler dev restarts) run in the e2e project.
    exclude: ['**/*.stack.test.ts', 'node_modules/**'],
    setupFiles: ['edge/test/apply-migrations.ts'],
    // One workerd runtime runs the files one after another over one D1 (a fresh runtime per file
    // costs ~4 s). Tests therefore use unique names and compare row counts before and after.
    isolate: false,
  },
}));
