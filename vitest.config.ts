import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['protocols/**/*.test.ts', 'device/**/*.test.ts', 'hosts/**/*.test.ts', 'tests/**/*.test.ts'],
    setupFiles: ['tests/support/setup-node.ts'],
    // The JSON report feeds scripts/test-summary.mjs (the plain closing line CI reads).
    reporters: ['default', 'json'],
    outputFile: { json: '.cache/vitest-results.json' },
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
