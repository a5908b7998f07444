import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestHost } from './vectors.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** shared/ sits beside the clone (../shared); SSIOT_VECTORS overrides. */
export const vectorsDir = process.env.SSIOT_VECTORS ?? [join(root, '../shared/vectors'), join(root, 'shared/vectors')].find(existsSync) ?? join(root, '../shared/vectors');

const nodeHost: TestHost = {
  engine: 'node',
  readVector: (rel) => readFileSync(join(vectorsDir, rel), 'utf8'),
  listVectors: (dir) => readdirSync(join(vectorsDir, dir)).sort(),
};
(globalThis as { __ssiotTestHost?: TestHost }).__ssiotTestHost = nodeHost;
