/**
 * Runs a TypeScript entry point in a Node process of its own (through tsx) and
 * collects its output. XS runs need this: the xsnap driver locks down its
 * realm with SES, which must never happen inside a vitest worker.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');

export interface NodeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runTsxScript(relativeScript: string, args: string[] = []): Promise<NodeRun> {
  const start = performance.now();
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, relativeScript), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', (e) => resolveRun({ code: null, signal: null, stdout, stderr: stderr + String(e), ms: performance.now() - start }));
    child.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr, ms: performance.now() - start }));
  });
}
