import { defineConfig } from 'vitest/config';

/**
 * Three projects: `edge` runs inside workerd against a real local D1; `unit` is plain Node;
 * `e2e` starts the real local stack (wrangler dev + agent) and drives Debian's Chromium.
 */
export default defineConfig({
  test: {
    projects: ['edge/vitest.config.ts', 'vitest.unit.config.ts', 'app/e2e/vitest.config.ts'],
  },
});
