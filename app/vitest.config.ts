import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The console's pure modules (JSON path location, diff rows, forms), tested in plain Node. */
export default defineConfig({
  test: {
    name: 'console',
    root: fileURLToPath(new URL('..', import.meta.url)),
    environment: 'node',
    include: ['app/lib/**/*.test.ts', 'app/routes/**/*.test.ts'],
  },
});
