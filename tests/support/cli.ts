/**
 * Running the `ssiot` CLI from tests: in-process through `main(argv, io)`
 * (fast, for the exhaustive cases) and as a real process (`node
 * bin/ssiot.js`, for what only a real process shows: exit codes, stdin,
 * environment, that stdout holds JSON only). Node-only.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../cli/main.ts';

export const ROOT = join(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/ssiot.js');
const exec = promisify(execFile);

/** A CLI run's outcome. `json` and `error` are parsed on first read. */
export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout as JSON when it holds an object (`{…}`), else undefined. */
  readonly json: any;
  /** The `{"error": …}` object of the last stderr line, if that line is one. */
  readonly error: { code: string; message: string } | undefined;
}

function outcome(status: number, stdout: string, stderr: string): CliRun {
  return {
    status,
    stdout,
    stderr,
    get json() {
      return stdout.trim().startsWith('{') ? JSON.parse(stdout) : undefined;
    },
    get error() {
      const last = stderr.trim().split('\n').pop() ?? '';
      return last.startsWith('{"error"') ? JSON.parse(last).error : undefined;
    },
  };
}

/** In-process run with captured streams and `stdin` as standard input. */
export async function run(argv: string[], stdin = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const status = await main(argv, {
    out: { write: (s: string) => (stdout += s) },
    err: { write: (s: string) => (stderr += s) },
    stdin: async () => stdin,
  });
  return outcome(status, stdout, stderr);
}

/**
 * Real process: `node bin/ssiot.js …` from the repository root, stdin from
 * a string (closed empty when undefined), `env` as its whole environment
 * (default: this process's, with NO_COLOR=1). Never throws on a non-zero exit.
 */
export async function spawnCli(argv: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const child = exec(process.execPath, [BIN, ...argv], { cwd: ROOT, env: options.env ?? { ...process.env, NO_COLOR: '1' } });
  child.child.stdin!.end(options.stdin ?? '');
  try {
    const { stdout, stderr } = await child;
    return outcome(0, stdout, stderr);
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return outcome(err.code, err.stdout, err.stderr);
  }
}
