import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['protocols/**/*.test.ts', 'device/**/*.test.ts', 'hosts/**/*.test.ts', 'tests/**/*.test.ts'],
    setupFiles: ['tests/support/setup-node.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
