import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    root: fileURLToPath(new URL('../..', import.meta.url)),
    environment: 'node',
    // Also `*.stack.test.ts` anywhere: tests that need the real local stack running.
    include: ['app/e2e/**/*.test.ts', 'agents/**/*.stack.test.ts', 'scripts/**/*.stack.test.ts', 'edge/**/*.stack.test.ts'],
    // One real stack per file; files run one after another so they do not fight over ports and CPU.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
