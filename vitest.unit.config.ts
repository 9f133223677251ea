import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'unit',
    environment: 'node',
    include: ['contract/**/*.test.ts', 'agents/**/*.test.ts', 'scripts/**/*.test.ts', 'db/**/*.test.ts'],
    exclude: ['**/*.stack.test.ts', 'node_modules/**'],
  },
});
