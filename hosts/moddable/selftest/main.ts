/**
 * Selftest app for the native X25519/Ed25519 (`ssiot/curve25519`, libsodium)
 * in the Moddable simulator: runs the shared cases of cases.ts (RFC 8032 /
 * RFC 7748 vectors from shared/vectors, embedded as resources, and the
 * negative cases) through the native path (moddableCrypto over the module)
 * and the pure-JS noble path, times each operation on both, and prints one
 * JSON line: `{"selftest":"curve25519", "libsodium", "cases", "native":
 * {pass, fail, failed}, "js": {…}, "usPerOp": {op: {native, js}}}`.
 * Built and run by tests/support/moddable-selftest.ts (which also writes
 * the module list: see manifest.json next to this file).
 */
import '../globals.ts';
import { Digest } from 'moddable:crypt';
import Resource from 'moddable:Resource';
import Time from 'moddable:time';
import { version } from 'ssiot/curve25519';
import { fill as fillRandom } from 'ssiot/random';
import { mergeCrypto } from '../../../protocols/crypto/index.ts';
import { nobleCrypto } from '../../../protocols/crypto/noble.ts';
import { utf8Decode } from '../../../protocols/encoding/bytes.ts';
import { moddableCrypto } from '../crypto.ts';
import { curve25519 } from '../curve25519.ts';
import { curveCases, failures, type CurveOps, type Rfc7748, type Rfc8032 } from './cases.ts';

const print = (line: string): void => (globalThis as unknown as { trace(s: string): void }).trace(line + '\n');
const readJson = <T>(name: string): T => JSON.parse(utf8Decode(new Uint8Array(new Resource(name).slice(0)))) as T;

/** µs per call of `fn`: repeated until `budgetMs` has passed (at least 3 calls), on the millisecond tick. */
function usPerOp(fn: () => unknown, budgetMs: number): number {
  fn();
  const start = Time.ticks;
  let n = 0;
  let elapsed = 0;
  do {
    fn();
    n++;
    elapsed = Time.ticks - start;
  } while (elapsed < budgetMs || n < 3);
  return Math.round((elapsed * 1000) / n);
}

function timings(native: CurveOps, js: CurveOps): Record<string, { native: number; js: number }> {
  const seed = new Uint8Array(32).fill(7);
  const message = new Uint8Array(64).fill(1);
  const x = new Uint8Array(32).fill(9);
  const pub = js.ed25519PublicKey(seed);
  const sig = js.ed25519Sign(message, seed);
  const xPub = js.x25519PublicKey(x);
  const ops: Record<string, (c: CurveOps) => unknown> = {
    ed25519PublicKey: (c) => c.ed25519PublicKey(seed),
    ed25519Sign: (c) => c.ed25519Sign(message, seed),
    ed25519Verify: (c) => c.ed25519Verify(sig, message, pub),
    x25519PublicKey: (c) => c.x25519PublicKey(x),
    x25519SharedSecret: (c) => c.x25519SharedSecret(x, xPub),
  };
  const out: Record<string, { native: number; js: number }> = {};
  for (const [name, op] of Object.entries(ops)) out[name] = { native: usPerOp(() => op(native), 200), js: usPerOp(() => op(js), 500) };
  return out;
}

function main(): void {
  if (!curve25519) throw new Error('this build has no native curve25519');
  const native = mergeCrypto(nobleCrypto, moddableCrypto({ digest: (type) => new Digest(type), fillRandom, curve25519 }));
  const cases = curveCases(readJson<Rfc8032>('rfc8032.json'), readJson<Rfc7748>('rfc7748.json'));
  const report = (path: 'native' | 'js', c: CurveOps) => {
    const failed = failures(cases, c, path);
    return { pass: cases.length - failed.length, fail: failed.length, failed };
  };
  const started = Time.ticks;
  const result = { native: report('native', native), js: report('js', nobleCrypto) };
  const casesMs = Time.ticks - started;
  print(JSON.stringify({ selftest: 'curve25519', libsodium: version(), cases: cases.length, ...result, casesMs, usPerOp: timings(native, nobleCrypto) }));
}

try {
  main();
} catch (e) {
  print(JSON.stringify({ selftest: 'curve25519', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
}
