/**
 * `npm run bench:firmware`: the figures issue 5 asks for.
 *
 *  1. Verification throughput (MB/s): the SUIT ImageVerifier (streaming
 *     SHA-256 + length checks) over a 32 MiB image in 64 KiB chunks, with
 *     the noble digest and with node:crypto's installed through the facade;
 *     plus a whole update (verify, download, write to file slots, stage)
 *     for the same image size.
 *  2. The updater's peak memory for a 256 KiB and a 4 MiB image: a full
 *     update (announcement -> Range download from a generated stream ->
 *     file slots -> trial boot -> confirm), JS heap and ArrayBuffer memory
 *     sampled at every chunk, above a post-GC baseline, several runs each.
 *  3. Manifest and DID-log verification per operation in Node (noble,
 *     node:crypto) and inside XS (ms and the deterministic compute-meter
 *     count): EdDSA manifest with a DID kid, the draft's ES256 example, a
 *     10-entry did:webvh log in full and incrementally from its first entry.
 *
 * Progress on stderr, the tables on stdout; `--json` prints everything as JSON.
 * Options: --node-budget MS (default 500), --xs-budget MS (default 2000),
 * --runs N (heap runs per size, default 5), --no-xs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { FileSlots } from '../hosts/node/slots.ts';
import { getCrypto, installCrypto, resetCrypto } from '../protocols/crypto/index.ts';
import { normalizePublicKey } from '../protocols/did/keys.ts';
import { base64Decode } from '../protocols/encoding/base64url.ts';
import { bytesToHex } from '../protocols/encoding/bytes.ts';
import { ImageVerifier } from '../protocols/firmware/image-verifier.ts';
import type { ImageSource } from '../device/updater/host.ts';
import { MemoryKv } from '../device/updater/memory.ts';
import { CLASS_ID, Manufacturer, makeImage, SimulatedDevice, VENDOR_ID } from '../device/updater/testbed.ts';
import { provisionUpdater, Updater } from '../device/updater/updater.ts';
import { FIRMWARE_BENCH_OPS, type FirmwareFixture } from './firmware-ops.ts';
import { vectorsDir } from '../tests/support/setup-node.ts';
import { fillXorshift } from './bytes.ts';
import { benchArgs, formatTable, log, logDone, meteredRun, printJson, rates, timeAsync, withXsPayload, type RateRow } from './support.ts';

const { flag, num } = benchArgs();
const NODE_BUDGET_MS = num('--node-budget', 500);
const XS_BUDGET_MS = num('--xs-budget', 2000);
const HEAP_RUNS = num('--runs', 5);
const MiB = 1 << 20;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Engine = 'node (noble)' | 'node (node:crypto)' | 'xs (noble)';

interface OpRow extends RateRow {
  op: string;
  engine: Engine;
}

interface HeapRun {
  /** Peak of live JS heap (GC forced before each sample) above the baseline. */
  liveHeapPeakKiB: number;
  /** Peak of heapUsed without forcing GC (includes garbage not yet collected). */
  rawHeapPeakKiB: number;
  /** Peak of live ArrayBuffer memory (typed-array backing stores live outside the JS heap). */
  arrayBuffersPeakKiB: number;
  /** Wall-clock of the same update without forced GCs. */
  ms: number;
}

interface HeapRow {
  imageBytes: number;
  runs: HeapRun[];
}

// ------------------------------------------------------------------ fixture

async function fixture(): Promise<FirmwareFixture> {
  const m = await Manufacturer.create();
  for (let i = 0; i < 4; i++) await m.touch();
  await m.rotate(1);
  for (let i = 0; i < 4; i++) await m.touch();
  if (m.log.length !== 10) throw new Error('fixture log must have 10 entries');
  const r = await m.release({ sequence: 2, image: makeImage(1024, 2) });
  const pem = readFileSync(join(vectorsDir, 'suit/test-signing-key-public.pem'), 'utf8');
  const der = base64Decode(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''));
  const es256Key = normalizePublicKey('P-256', der.subarray(der.length - 65));
  return {
    log: m.log,
    now: Date.now(),
    envelopeHex: bytesToHex(r.envelope),
    es256EnvelopeHex: readFileSync(join(vectorsDir, 'suit/example1-signed.hex'), 'utf8').trim(),
    es256PublicKeyHex: bytesToHex(es256Key),
  };
}

// ------------------------------------------------------------- node timing

function opRow(op: string, engine: Engine, ops: number, ms: number, bytes?: number, computePerOp?: number): OpRow {
  const { msPerOp, opsPerSec, mbPerSec } = rates(ops, ms, bytes);
  const r: OpRow = { op, engine, ops, msPerOp, opsPerSec };
  if (mbPerSec !== undefined) r.mbPerSec = mbPerSec;
  if (computePerOp !== undefined) r.computePerOp = computePerOp;
  return r;
}

async function benchOpsNode(f: FirmwareFixture, engine: Engine): Promise<OpRow[]> {
  const rows: OpRow[] = [];
  for (const op of FIRMWARE_BENCH_OPS) {
    const { ops, ms } = await timeAsync(op.prepare(f), NODE_BUDGET_MS);
    const r = opRow(op.name, engine, ops, ms, op.bytes);
    log(`  ${engine.padEnd(19)} ${op.name.padEnd(38)} ${r.msPerOp.toFixed(3)} ms/op`);
    rows.push(r);
  }
  return rows;
}

// --------------------------------------------------------------- throughput

const THROUGHPUT_BYTES = 32 * MiB;

function throughputImage(): Uint8Array {
  return makeImage(THROUGHPUT_BYTES, 77);
}

function verifierThroughput(image: Uint8Array, engine: Engine): OpRow {
  const digest = { algorithm: 'sha-256' as const, bytes: getCrypto().sha256(image) };
  const run = () => {
    const v = new ImageVerifier({ digest, size: image.length });
    for (let o = 0; o < image.length; o += 65536) v.update(image.subarray(o, o + 65536));
    v.finish();
  };
  run();
  let ops = 0;
  const start = performance.now();
  do {
    run();
    ops++;
  } while (performance.now() - start < NODE_BUDGET_MS * 2);
  const r = opRow(`image verify ${image.length / MiB} MiB (64 KiB chunks)`, engine, ops, performance.now() - start, image.length);
  log(`  ${engine.padEnd(19)} ${r.op.padEnd(38)} ${r.mbPerSec!.toFixed(1)} MB/s`);
  return r;
}

// ---------------------------------------------------------- updater runs

/** An image produced chunk by chunk (never whole in memory), and its digest. */
function generatedImage(size: number, chunk: number): { source: ImageSource; digest: Uint8Array; onChunk: { fn: () => void } } {
  const gen = function* (from: number): Generator<Uint8Array> {
    let x = 0x2545f491;
    const buf = new Uint8Array(chunk);
    for (let pos = 0; pos < size; ) {
      const n = Math.min(chunk, size - pos);
      x = fillXorshift(buf, x, n);
      if (pos + n > from) yield buf.subarray(Math.max(0, from - pos), n);
      pos += n;
    }
  };
  const h = getCrypto().createHash('sha256');
  for (const c of gen(0)) h.update(c);
  const onChunk = { fn: () => {} };
  const source: ImageSource = {
    async *read(_uri: string, offset: number) {
      for (const c of gen(offset)) {
        onChunk.fn();
        yield c;
      }
    },
  };
  return { source, digest: h.digest(), onChunk };
}

interface RunResult {
  heapPeakKiB: number;
  arrayBuffersPeakKiB: number;
  ms: number;
}

/**
 * One full update of a `size`-byte image through file slots; returns peaks
 * above the post-GC baseline. `forceGc`: collect before every sample, so
 * the peak is live memory (what the updater retains), not GC timing.
 */
async function updaterRun(m: Manufacturer, size: number, forceGc = false): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ssiot-bench-fw-'));
  try {
    const img = generatedImage(size, 16 * 1024);
    const factory = makeImage(1024, 1);
    const slots = FileSlots.create({
      dir,
      capacity: 64 * MiB,
      factoryImage: { bytes: factory, info: { sequence: 1, digest: bytesToHex(getCrypto().sha256(factory)), size: factory.length } },
    });
    slots.boot();
    const kv = new MemoryKv();
    await provisionUpdater(kv, { manufacturer: m.state(), installedSequence: 1 });
    const r = await m.release({ sequence: 2, image: new Uint8Array(0), size, digest: img.digest });
    const host = {
      kv,
      slots,
      images: img.source,
      now: () => Date.now(),
      reboot: () => {},
      sendReport: async () => {},
    };
    const config = { vendorId: VENDOR_ID, classId: CLASS_ID, reportSigner: SimulatedDevice.deviceSigner(), policy: () => 'auto' as const };
    gc();
    gc();
    const base = process.memoryUsage();
    let heapPeak = 0;
    let abPeak = 0;
    const sample = () => {
      if (forceGc) gc();
      const u = process.memoryUsage();
      heapPeak = Math.max(heapPeak, u.heapUsed - base.heapUsed);
      abPeak = Math.max(abPeak, u.arrayBuffers - base.arrayBuffers);
    };
    img.onChunk.fn = sample;
    const start = performance.now();
    const out = await new Updater(host, config).handleAnnouncement({ envelope: r.envelope, log: [] });
    if (out.status !== 'rebooting') throw new Error(`update did not stage: ${out.status}`);
    slots.boot();
    sample();
    const boot = await new Updater(host, config).boot(() => true);
    sample();
    if (boot.status !== 'installed') throw new Error(`update did not install: ${boot.status}`);
    return { heapPeakKiB: heapPeak / 1024, arrayBuffersPeakKiB: abPeak / 1024, ms: performance.now() - start };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function heapRows(): Promise<HeapRow[]> {
  const m = await Manufacturer.create();
  const rows: HeapRow[] = [];
  // warm-up at both sizes: hot loops get optimized (V8 code objects live in the heap too)
  for (const size of [256 * 1024, 4 * MiB]) await updaterRun(m, size, true);
  for (const size of [256 * 1024, 4 * MiB]) {
    const row: HeapRow = { imageBytes: size, runs: [] };
    for (let i = 0; i < HEAP_RUNS; i++) {
      const live = await updaterRun(m, size, true);
      const raw = await updaterRun(m, size, false);
      const r: HeapRun = { liveHeapPeakKiB: live.heapPeakKiB, rawHeapPeakKiB: raw.heapPeakKiB, arrayBuffersPeakKiB: live.arrayBuffersPeakKiB, ms: raw.ms };
      log(
        `  updater ${String(size / 1024).padStart(5)} KiB: live heap peak +${r.liveHeapPeakKiB.toFixed(0)} KiB (without forced GC +${r.rawHeapPeakKiB.toFixed(0)} KiB), ArrayBuffers +${r.arrayBuffersPeakKiB.toFixed(0)} KiB, ${r.ms.toFixed(0)} ms`,
      );
      row.runs.push(r);
    }
    rows.push(row);
  }
  return rows;
}

async function updateThroughput(engine: Engine): Promise<OpRow> {
  const m = await Manufacturer.create();
  await updaterRun(m, MiB);
  const r = await updaterRun(m, THROUGHPUT_BYTES);
  const row = opRow(`whole update ${THROUGHPUT_BYTES / MiB} MiB (file slots)`, engine, 1, r.ms, THROUGHPUT_BYTES);
  log(`  ${engine.padEnd(19)} ${row.op.padEnd(38)} ${row.mbPerSec!.toFixed(1)} MB/s`);
  return row;
}

// ----------------------------------------------------------------------- XS

async function benchXs(f: FirmwareFixture): Promise<OpRow[]> {
  return withXsPayload('bench/firmware-xs-payload.ts', { name: 'bench-firmware' }, async (xs) => {
    await xs.call({ op: 'fixture', fixture: f });
    const rows: OpRow[] = [];
    for (const op of FIRMWARE_BENCH_OPS) {
      const m = await meteredRun(xs, op.name, XS_BUDGET_MS, true);
      const r = opRow(op.name, 'xs (noble)', m.iterations, m.ms, op.bytes, m.computePerOp);
      log(`  ${'xs (noble)'.padEnd(19)} ${op.name.padEnd(38)} ${r.msPerOp.toFixed(2)} ms/op, compute ${r.computePerOp}/op`);
      rows.push(r);
    }
    return rows;
  });
}

// -------------------------------------------------------------------- output

function fmt(n: number | undefined, digits = 2): string {
  if (n === undefined) return '';
  if (n >= 100) return n.toFixed(0);
  return n.toFixed(digits);
}

const start = performance.now();
log('fixture: 10-entry did:webvh log, EdDSA manifest, draft example 1 (ES256)');
const f = await fixture();
const ops: OpRow[] = [];
const image = throughputImage();
for (const engine of ['node (noble)', 'node (node:crypto)'] as const) {
  log(`Node, ${engine === 'node (noble)' ? 'noble (pure JS)' : 'node:crypto installed over noble'}:`);
  if (engine === 'node (noble)') resetCrypto();
  else installCrypto(nodeCrypto);
  ops.push(verifierThroughput(image, engine));
  ops.push(await updateThroughput(engine));
  ops.push(...(await benchOpsNode(f, engine)));
}
log('Updater peak memory (node:crypto digest, file slots):');
const heap = await heapRows();
resetCrypto();
if (!flag('--no-xs')) {
  log('XS (xsnap), noble provider:');
  ops.push(...(await benchXs(f)));
}
logDone(start);

if (flag('--json')) {
  printJson({ ops, heap });
} else {
  const engines: Engine[] = ['node (noble)', 'node (node:crypto)', 'xs (noble)'];
  const names = [...new Set(ops.map((o) => o.op))];
  ops.sort((a, b) => names.indexOf(a.op) - names.indexOf(b.op) || engines.indexOf(a.engine) - engines.indexOf(b.engine));
  process.stdout.write(
    formatTable(
      ['operation', 'engine', 'ms/op', 'ops/s', 'MB/s', 'XS compute/op'],
      ops.map((r) => [r.op, r.engine, r.msPerOp < 0.1 ? r.msPerOp.toFixed(4) : fmt(r.msPerOp), fmt(r.opsPerSec), fmt(r.mbPerSec, 1), r.computePerOp === undefined ? '' : r.computePerOp.toLocaleString('en-US')]),
    ) + '\n\n',
  );
  const body: string[][] = [];
  /** min / median / max over the runs. */
  const spread = (h: HeapRow, k: keyof HeapRun) => {
    const v = h.runs.map((r) => r[k]).sort((a, b) => a - b);
    return [v[0], v[Math.floor(v.length / 2)], v[v.length - 1]].map((x) => x.toFixed(0)).join(' / ');
  };
  for (const h of heap) {
    body.push([`${h.imageBytes / 1024} KiB`, spread(h, 'liveHeapPeakKiB'), spread(h, 'arrayBuffersPeakKiB'), spread(h, 'rawHeapPeakKiB'), fmt(h.runs.reduce((n, r) => n + r.ms, 0) / h.runs.length, 0)]);
  }
  process.stdout.write(
    formatTable(['updater, image', 'live JS heap peak KiB (min/med/max)', 'ArrayBuffer peak KiB', 'heapUsed peak, no forced GC', 'ms/update'], body, 1) + '\n',
  );
  process.stdout.write(
    'Peaks above a post-GC baseline, sampled at every downloaded chunk (16 KiB chunks, 64 KiB checkpoints, file slots, node:crypto digest),\n' +
      `min / median / max of ${HEAP_RUNS} runs. "live" forces a GC before each sample (memory the updater holds); the heapUsed column includes V8 garbage not yet collected.\n`,
  );
}
