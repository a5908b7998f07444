/**
 * `npm run bench:moddable`: the firmware (root manifest.json) in the
 * Moddable lin simulator against a manufacturer service (issue 9's "XS
 * archive size of the firmware's modules and the heap after boot").
 *
 * - Archive: the compiled modules (.xsb) of the debug build, count and bytes,
 *   ours (repository sources) / npm packages / the SDK's; mc.xs.c and mc.so;
 *   how many modules the merged manifest preloads.
 * - Heap: the firmware's own `heap` lines (reportHeap=1, hosts/moddable/heap.ts:
 *   after a forced GC) per phase, factory-new (loaded, boot, manufactured,
 *   broker), then — the simulator stopped and launched again over the same
 *   preference file — owned (loaded, boot, broker).
 * - Timings, from the Node side (when a line reached us, ms since mcsim was
 *   started): boot to the local endpoint, boot to the pairing label,
 *   provisioning (endpoint up → `manufactured`), broker sign-in, an owner's
 *   pairing by the label URL, the introduction to the manufacturer, and after
 *   the relaunch an owner request (get-policy) to the owned device.
 *
 * A debug build (instrumentation needs -d or -i) on a desktop: XS runs at
 * -O0 there, and an XS slot is 32 bytes on 64-bit (16 on an ESP32), so
 * these are the figures to compare between versions of the firmware, not
 * an ESP32's. Exits 2 with the reason when the SDK is missing (MODDABLE, its
 * lin tools, Xvfb). Progress on stderr, the report on stdout; `--json` prints
 * it as JSON; `--scratch DIR` keeps the build there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequester } from '../owner/http-requester.ts';
import { OwnerAgent } from '../owner/agent.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { runFirmware, type ArchiveFigures, type FirmwareBoot, type HeapLine } from '../tests/support/moddable-firmware.ts';
import { simulatorUnavailable } from '../tests/support/moddable-sim.ts';
import { startTestService, TEST_FACTORY_TOKEN } from '../tests/support/service.ts';
import { benchArgs, formatTable, log } from './support.ts';

interface Report {
  archive: ArchiveFigures;
  buildMs: number;
  heap: { factoryNew: HeapLine[]; owned: HeapLine[] };
  /** ms */
  timings: Record<string, number>;
}

/** ms since the launch when the first line with `message` came. */
const lineAt = async (boot: FirmwareBoot, message: string): Promise<number> => (await boot.waitFor(message, (l) => l.message === message, 180_000)).at;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

async function measure(scratch: string | undefined): Promise<Report> {
  const data = mkdtempSync(join(tmpdir(), 'ssiot-bench-fw-mfr-'));
  const s = await startTestService(data);
  try {
    log('building the firmware (debug, lin)…');
    const run = await runFirmware({ service: { url: s.url, brokerUrl: s.brokerUrl, factoryToken: TEST_FACTORY_TOKEN }, scratch });
    try {
      log(`built in ${(run.buildMs / 1000).toFixed(1)} s; factory-new boot…`);
      const first = run.boot;
      const endpointUp = await lineAt(first, 'local endpoint');
      const manufactured = await lineAt(first, 'manufactured');
      const broker = await lineAt(first, 'broker connected');
      const label = await first.label();
      log('pairing and introduction…');
      const phone = new OwnerAgent({ transport: new HttpRequester(120_000), resolver: createDefaultResolver({ documents: [s.identity.document()] }), trustedManufacturers: [s.identity.did] });
      const [paired, pairMs] = await timed(() => phone.pair(label.url));
      const [intro, introMs] = await timed(() => phone.conduit.introduceManufacturer(paired));
      if (intro.status !== 'connected') throw new Error(`introduction ${intro.status}`);
      const factoryNew = first.heap();

      log('relaunch over the same prefs (owned)…');
      const second = await run.relaunch();
      const ownedEndpoint = await lineAt(second, 'local endpoint');
      const ownedBroker = await lineAt(second, 'broker connected');
      const [, policyMs] = await timed(() => phone.getPolicy(paired));
      const owned = second.heap();
      return {
        archive: run.archive,
        buildMs: run.buildMs,
        heap: { factoryNew, owned },
        timings: {
          'factory-new: launch to local endpoint': endpointUp,
          'factory-new: launch to pairing label': label.at,
          'provisioning (endpoint up to manufactured)': manufactured - endpointUp,
          'broker sign-in (manufactured to connected)': broker - manufactured,
          'pairing by the label URL (owner side)': pairMs,
          'introduction to the manufacturer (owner side)': introMs,
          'owned: launch to local endpoint': ownedEndpoint,
          'owned: launch to broker connected': ownedBroker,
          'owned: get-policy round trip (owner side)': policyMs,
        },
      };
    } finally {
      await run.stop();
    }
  } finally {
    await s.close();
    rmSync(data, { recursive: true, force: true });
  }
}

const kb = (b: number): string => (b / 1024).toFixed(1);
const n = (x: number): string => x.toLocaleString('en-US');

function print(r: Report): void {
  const a = r.archive;
  const m = a.modules;
  console.log('XS archive (debug build, lin)');
  console.log(
    formatTable(
      ['modules', 'count', 'KB (.xsb)', 'preloaded'],
      [
        ['ours (repository)', String(m.ours.count), kb(m.ours.bytes), String(a.preloaded.ours)],
        ['npm packages', String(m.npm.count), kb(m.npm.bytes), String(a.preloaded.npm)],
        ['Moddable SDK', String(m.sdk.count), kb(m.sdk.bytes), String(a.preloaded.sdk)],
        ['all', String(m.count), kb(m.bytes), String(a.preloaded.count)],
      ],
      1,
    ),
  );
  console.log(`mc.xs.c ${kb(a.mcXsC)} KB, mc.so ${kb(a.mcSo)} KB; build ${(r.buildMs / 1000).toFixed(1)} s\n`);
  const heapRows = (state: string, lines: HeapLine[]): string[][] =>
    lines.map((h) => [state, h.phase, n(h.slotHeap), n(h.chunkHeap), String(h.keys), String(h.modules), n(h.collections), n(h.stackPeak)]);
  console.log('Heap per phase (after a forced GC; bytes)');
  console.log(
    formatTable(['device', 'phase', 'slot heap', 'chunk heap', 'keys', 'modules', 'GCs*', 'stack peak*'], [...heapRows('factory-new', r.heap.factoryNew), ...heapRows('owned', r.heap.owned)], 2),
  );
  console.log('* since the simulator\'s last instrumentation sample (it resets both about once a second), not since start');
  console.log('\nTimings (Node side, ms)');
  console.log(formatTable(['step', 'ms'], Object.entries(r.timings).map(([k, v]) => [k, v.toFixed(0)]), 1));
}

const args = benchArgs();
const why = simulatorUnavailable();
if (why) {
  console.error(`bench:moddable needs the Moddable SDK's lin tools: ${why}`);
  console.error('Set MODDABLE to an SDK with build/bin/lin/release/{mcconfig,mcsim} built (see hosts/moddable/README.md).');
  process.exit(2);
}
const report = await measure(args.opt('--scratch'));
if (args.flag('--json')) process.stdout.write(JSON.stringify({ ...report, node: process.version }, null, 2) + '\n');
else print(report);
process.exit(0);
