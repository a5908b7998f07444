/**
 * Brings the XS run into the vitest report: at collection time this file
 * runs hosts/xs/run-tests.ts in a Node process of its own (xsnap's driver
 * locks the realm down with SES, which must not happen inside a vitest
 * worker), then declares one vitest test per XS result, under
 * `XS: <file>` and the test's own describe path, so each XS failure shows
 * with its message next to the Node results.
 *
 * SSIOT_XS=0 skips the XS run (quick local loops); SSIOT_XS_ARGS passes
 * extra arguments to the runner (e.g. a file filter, `--concurrency 1`).
 * This file lives outside protocols/ and device/, so the XS run never
 * includes it.
 */
import { describe, it } from 'vitest';
import type { XsRunReport, XsTestReport } from './driver.ts';
import { runTsxScript } from '../../tests/support/spawn-node.ts';

const runDriver = (args: string[]) => runTsxScript('hosts/xs/run-tests.ts', ['--json', '--quiet', ...args]);

function parseReport(stdout: string): XsRunReport | undefined {
  const line = stdout.trim().split('\n').pop();
  try {
    const r = line ? (JSON.parse(line) as XsRunReport) : undefined;
    return r && r.engine === 'xs' && Array.isArray(r.files) ? r : undefined;
  } catch {
    return undefined;
  }
}

interface Node {
  tests: XsTestReport[];
  children: Map<string, Node>;
}

/** Re-nests results by their describe path so the report reads like the Node one. */
function tree(tests: XsTestReport[]): Node {
  const root: Node = { tests: [], children: new Map() };
  for (const t of tests) {
    let n = root;
    for (const part of t.name.slice(0, -1)) {
      let c = n.children.get(part);
      if (!c) n.children.set(part, (c = { tests: [], children: new Map() }));
      n = c;
    }
    n.tests.push(t);
  }
  return root;
}

function declare(n: Node): void {
  for (const t of n.tests) {
    const name = t.name[t.name.length - 1];
    if (t.status === 'skipped') {
      it.skip(name, () => {});
      continue;
    }
    it(name, () => {
      if (t.status !== 'passed') throw new Error(`in XS: ${t.error ?? 'failed'}`);
    });
  }
  for (const [name, c] of n.children) describe(name, () => declare(c));
}

const enabled = process.env.SSIOT_XS !== '0';
const run = enabled ? await runDriver((process.env.SSIOT_XS_ARGS ?? '').split(/\s+/).filter(Boolean)) : undefined;
const report = run ? parseReport(run.stdout) : undefined;

if (!enabled) {
  it.skip('XS run (disabled by SSIOT_XS=0)', () => {});
} else if (!report) {
  describe('XS', () => {
    it('the XS driver produces a report', () => {
      throw new Error(
        `hosts/xs/run-tests.ts ${run?.signal ? `was killed by ${run.signal}` : `exited with ${run?.code}`} without a JSON report.\n` +
          `stderr:\n${run?.stderr.slice(-4000)}\nstdout:\n${run?.stdout.slice(-2000)}`,
      );
    });
  });
} else {
  for (const f of report.files) {
    describe(`XS: ${f.file}`, () => {
      if (f.error !== undefined) {
        it('(file)', () => {
          throw new Error(`in XS: ${f.error}`);
        });
      }
      declare(tree(f.tests));
    });
  }
  if (report.files.length === 0) {
    it('XS found test files to run', () => {
      throw new Error('hosts/xs found no *.test.ts under protocols/ or device/');
    });
  }
}
