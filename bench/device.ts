/**
 * Device agent budgets (issue 6):
 * - bundle size of the device agent, minified with all its dependencies
 *   (esbuild, the XS build settings, ESM so the entry's exports are kept),
 *   (the firmware updater included: the agent owns it), raw and gzip, and its largest inputs;
 * - XS (xsnap) heap after boot and during pairing and during a firmware
 *   update of a 256 KiB image through the agent's firmware messages
 *   (announcement under the auto policy, then the restart that confirms it),
 *   and the XS meter (compute) of the pairing cranks, of one authcrypt
 *   message to an owned device, of one policy change and of one diagnostics
 *   request checked against a service authorization
 *   (hosts/xs/device-story.ts drives the device agent inside XS).
 *
 * Heap figures: `heapCount` = live XS slots (the meter's currentHeapCount; a
 * slot is 32 bytes on 64-bit builds), measured after a crank — after a forced
 * GC for "at rest" rows, without GC for the message cranks, so those include
 * the crank's garbage (a lower bound of the peak inside the crank).
 * `allocate` = bytes of heap the machine has obtained so far (grows only;
 * xsnap reserves its first chunks at start, so it moves only when the work
 * outgrows them).
 *
 * Run: `npm run bench:device [-- --json] [-- --update-bytes 262144]`.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { xsBuildOptions } from '../hosts/xs/bundle.ts';
import { runDeviceStoryInXs, type CrankFigures } from '../hosts/xs/device-story.ts';
import { benchArgs, formatTable, log, logDone, printJson } from './support.ts';

const { flag, num } = benchArgs();
const UPDATE_BYTES = num('--update-bytes', 256 * 1024);

interface BundleRow {
  name: string;
  bytes: number;
  gzipBytes: number;
  /** The largest inputs (bytes of output each contributes). */
  largest: { path: string; bytes: number }[];
}

async function bundle(name: string, contents: string): Promise<BundleRow> {
  const r = await build({
    ...xsBuildOptions(),
    format: 'esm',
    minify: true,
    metafile: true,
    stdin: { contents, resolveDir: xsBuildOptions().absWorkingDir, sourcefile: 'entry.ts', loader: 'ts' },
  });
  const out = r.outputFiles?.[0];
  if (!out) throw new Error(`esbuild produced no output for ${name}`);
  const output = Object.values(r.metafile?.outputs ?? {})[0];
  const byPackage = new Map<string, number>();
  for (const [path, v] of Object.entries(output?.inputs ?? {})) {
    const key = path.includes('node_modules/') ? path.replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1') : path.split('/').slice(0, 2).join('/');
    byPackage.set(key, (byPackage.get(key) ?? 0) + v.bytesInOutput);
  }
  const largest = [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([path, bytes]) => ({ path, bytes }));
  return { name, bytes: out.contents.length, gzipBytes: gzipSync(out.contents, { level: 9 }).length, largest };
}

const start = performance.now();
log('bundling the device agent (esbuild, minified, ESM, XS settings)');
const bundles = [
  // the agent owns its firmware updater (device/firmware.ts), so one bundle holds both
  await bundle('device agent (with its firmware updater)', "export { DeviceAgent } from './device/agent.ts';"),
];
log(`running the device story in XS (update image ${UPDATE_BYTES} bytes)`);
const story = await runDeviceStoryInXs({ updateBytes: UPDATE_BYTES });
const u = story.update;
if (!u.installed) throw new Error('the update did not install in XS');

const heapRows: [string, CrankFigures][] = [
  ['code loaded (gc)', story.heap.loaded],
  ['after boot (gc)', story.heap.booted],
  ['after manufacture (gc)', story.heap.manufactured],
  ['pair-request crank (no gc)', story.cranks.pairRequest],
  ['request-credential crank (no gc)', story.cranks.requestCredential],
  ['after pairing (gc)', story.heap.paired],
  ['transfer-open crank (no gc)', story.cranks.transferOpen],
  ['set-policy crank (no gc)', story.cranks.setPolicy],
  ['diagnostics-request crank, service auth checked (no gc)', story.cranks.diagnostics],
  ['update published: image on the memory server (gc)', u.before],
  [`update ${UPDATE_BYTES} B: announcement crank (no gc)`, u.crank],
  ['update: restart crank, self-test + confirm + report (no gc)', u.boot],
];
const pairingCompute = story.cranks.pairRequest.compute + story.cranks.requestCredential.compute;

if (flag('--json')) {
  printJson({
    bundles,
    heap: Object.fromEntries(heapRows),
    pairingCompute,
    authcryptMessageCompute: story.cranks.transferOpen.compute,
    setPolicyCompute: story.cranks.setPolicy.compute,
    diagnosticsCompute: story.cranks.diagnostics.compute,
    updateBytes: UPDATE_BYTES,
    updateCompute: { announcement: u.crank.compute, restart: u.boot.compute },
    cranks: story.allCranks,
  });
} else {
  const kib = (n: number) => (n / 1024).toFixed(1);
  console.log('Bundle (esbuild, minified, with dependencies)');
  console.log(formatTable(['bundle', '', 'KiB', 'gzip KiB'], bundles.map((b) => [b.name, '', kib(b.bytes), kib(b.gzipBytes)])));
  for (const b of bundles) console.log(`  ${b.name}: largest inputs ${b.largest.map((l) => `${l.path} ${kib(l.bytes)} KiB`).join(', ')}`);
  console.log('\nXS heap (xsnap meter)');
  console.log(
    formatTable(
      ['point', '', 'heap slots', 'slots x32 KiB', 'allocate KiB'],
      heapRows.map(([name, f]) => [name, '', String(f.heapCount), kib(f.heapCount * 32), kib(f.allocate)]),
    ),
  );
  console.log('\nXS compute (xsnap meter, per crank)');
  console.log(
    formatTable(
      ['work', '', 'compute'],
      [
        ['pairing: pair-request', '', String(story.cranks.pairRequest.compute)],
        ['pairing: request-credential (imprint)', '', String(story.cranks.requestCredential.compute)],
        ['pairing total', '', String(pairingCompute)],
        ['one authcrypt message (transfer-open, owned device)', '', String(story.cranks.transferOpen.compute)],
        ['one policy change (set-policy)', '', String(story.cranks.setPolicy.compute)],
        ['one diagnostics request (service authorization checked)', '', String(story.cranks.diagnostics.compute)],
        [`firmware update ${UPDATE_BYTES} B: announcement (verify, download, install)`, '', String(u.crank.compute)],
        ['firmware update: restart (self-test, confirm, signed report)', '', String(u.boot.compute)],
      ],
    ),
  );
}
logDone(start);
