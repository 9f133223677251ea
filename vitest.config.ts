import { defineConfig } from 'vitest/config';

/**
 * Four projects: `edge` runs inside workerd against a real local D1; `unit` and `console` (the
 * console's pure modules) are plain Node;
 * `e2e` starts the real local stack (wrangler dev + agent) and drives Debian's Chromium.
 */
export default defineConfig({
  test: {
    projects: ['edge/vitest.config.ts', 'vitest.unit.config.ts', 'app/vitest.config.ts', 'app/e2e/vitest.config.ts'],
  },
});
