// Prints the closing line CI reads in any language — "N passed, N failed, N skipped" —
// from vitest's JSON report (vitest.config.ts writes it to .cache/vitest-results.json).
import { readFileSync } from 'node:fs';

const path = new URL('../.cache/vitest-results.json', import.meta.url);
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch {
  console.log('0 passed, 1 failed (no vitest report was written)');
  process.exit(0);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
