/**
 * Platform-neutral access to ../shared/vectors for tests that run both under
 * vitest (Node) and inside XS (hosts/xs). The platform installs
 * `globalThis.__ssiotTestHost` before any test module runs:
 *  - Node: tests/support/setup-node.ts (vitest setupFiles)
 *  - XS:   hosts/xs/test-prelude.ts (answers over xsnap's issueCommand)
 */
export interface TestHost {
  /** Which engine runs the test: lets heavy cases (1M-iteration vectors) stay Node-only. */
  readonly engine: 'node' | 'xs';
  /** UTF-8 text of a file under shared/vectors, path relative to that folder. */
  readVector(relativePath: string): string;
  /** File names (not paths) in a folder under shared/vectors, sorted. */
  listVectors(relativeDir: string): string[];
}

function host(): TestHost {
  const h = (globalThis as { __ssiotTestHost?: TestHost }).__ssiotTestHost;
  if (!h) throw new Error('test host not installed: run through vitest or hosts/xs');
  return h;
}

export const engine = (): 'node' | 'xs' => host().engine;
export const readVectorText = (rel: string): string => host().readVector(rel);
export const readVectorJson = <T = any>(rel: string): T => JSON.parse(host().readVector(rel)) as T;
export const listVectors = (dir: string): string[] => host().listVectors(dir);
