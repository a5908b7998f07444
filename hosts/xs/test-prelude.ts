/**
 * Runs first in every XS test bundle (hosts/xs/bundle.ts puts it before the
 * test file). It gives the platform-neutral tests what a host gives
 * device code, the way the Moddable host will:
 *  - `globalThis.__ssiotTestHost` (tests/support/vectors.ts): vector files
 *    are read by the Node parent and answered over xsnap's synchronous
 *    `issueCommand`;
 *  - random bytes for the crypto facade, asked of the parent (the "host
 *    provides random" pattern: XS has no `crypto.getRandomValues`, and we do
 *    not install one, so code that bypasses the facade fails loudly here);
 *  - TextEncoder/TextDecoder when the engine lacks them (xsnap has them,
 *    Moddable does not);
 *  - a `console` that forwards to the parent (xsnap has none);
 *  - `handleCommand`, through which the driver lists and runs the tests one
 *    crank each, so each test gets its own compute-meter reading.
 *
 * Wire format (both directions UTF-8 JSON, except random bytes which come
 * back raw): child -> parent `{op:'readVector',path}`, `{op:'listVectors',dir}`,
 * `{op:'random',length}`, `{op:'log',level,text}`; parent -> child
 * `{op:'list'}`, `{op:'run',id}`.
 */
import { installCrypto } from '../../protocols/crypto/index.ts';
import type { TestHost } from '../../tests/support/vectors.ts';
import { installTextCodecs } from './text-codec.ts';
import { format, listRegisteredTests, runRegisteredTest } from './vitest-shim.ts';

type Bytes = Uint8Array;
interface XsGlobals {
  issueCommand?: (message: ArrayBuffer) => ArrayBuffer;
  handleCommand?: (message: ArrayBuffer) => ArrayBuffer | { result?: ArrayBuffer };
  console?: unknown;
  __ssiotTestHost?: TestHost;
}
const g = globalThis as unknown as XsGlobals;

// ------------------------------------------------------------ text codecs

/** Which codecs the prelude had to supply (none on xsnap; both on Moddable). */
export const installedCodecs: string[] = installTextCodecs(globalThis);

// ------------------------------------------------------------ parent channel

// The engine's own codecs when it has them (xsnap: native, fast on big vector files).
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (s: string): Bytes => encoder.encode(s);
const decode = (b: Bytes): string => decoder.decode(b);

function toArrayBuffer(b: Bytes): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
}

function ask(message: object): Bytes {
  const issue = g.issueCommand;
  if (typeof issue !== 'function') throw new Error('hosts/xs prelude: no issueCommand (not running under xsnap?)');
  return new Uint8Array(issue(toArrayBuffer(encode(JSON.stringify(message)))));
}

function askJson<T>(message: object): T {
  const reply = JSON.parse(decode(ask(message))) as { ok: true; value: T } | { ok: false; error: string };
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
}

const host: TestHost = {
  engine: 'xs',
  readVector: (path) => askJson<string>({ op: 'readVector', path }),
  listVectors: (dir) => askJson<string[]>({ op: 'listVectors', dir }),
};
g.__ssiotTestHost = host;

/** Random bytes from the parent (Node's CSPRNG). */
function randomBytes(length: number): Bytes {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`randomBytes: bad length ${length}`);
  if (length === 0) return new Uint8Array(0);
  const bytes = ask({ op: 'random', length });
  if (bytes.length !== length) throw new Error(`randomBytes: parent returned ${bytes.length} bytes, wanted ${length}`);
  return bytes;
}
installCrypto({ randomBytes });

if (typeof g.console !== 'object' || g.console === null) {
  const log = (level: string) => (...args: unknown[]) => {
    const text = args.map((a) => (typeof a === 'string' ? a : format(a))).join(' ');
    try {
      ask({ op: 'log', level, text });
    } catch {
      /* logging must never fail a test */
    }
  };
  g.console = { log: log('log'), info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug'), trace: log('trace') };
}

// ------------------------------------------------------------ driver commands

g.handleCommand = (message: ArrayBuffer) => {
  const cmd = JSON.parse(decode(new Uint8Array(message))) as { op: 'list' } | { op: 'run'; id: number };
  if (cmd.op === 'list') return toArrayBuffer(encode(JSON.stringify(listRegisteredTests())));
  if (cmd.op === 'run') {
    // The reply is set when the test's promise settles; xsnap runs promise
    // jobs (and setImmediate) before ending the crank. If the test waits on
    // something that never settles, the crank ends with no result and the
    // driver reports that.
    const pending: { result?: ArrayBuffer } = {};
    runRegisteredTest(cmd.id).then(
      (r) => {
        pending.result = toArrayBuffer(encode(JSON.stringify(r)));
      },
      (e: unknown) => {
        pending.result = toArrayBuffer(encode(JSON.stringify({ id: cmd.id, name: [], status: 'failed', error: `runner error: ${String(e)}`, durationMs: 0 })));
      },
    );
    return pending;
  }
  throw new Error(`unknown command ${JSON.stringify(cmd)}`);
};
