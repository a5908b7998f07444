/**
 * A throwaway PostgreSQL server for tests and benchmarks.
 *
 * `startPostgres()` finds the server binaries (/usr/lib/postgresql/<v>/bin),
 * installs Debian's `postgresql` with apt-get if they are missing (we run as
 * root in CI; `DEBIAN_FRONTEND=noninteractive`, no stdin), creates a cluster
 * in a fresh temporary directory with initdb (UTF8, C locale, trust auth,
 * no fsync: it is thrown away), and starts it on 127.0.0.1 at a free port.
 * As root, the server runs as the `postgres` user (PostgreSQL refuses root).
 * `stop()` shuts it down and deletes the directory; an exit hook does the
 * same if the process ends first.
 *
 * Failing to install or start throws an Error that says what went wrong, so
 * a test using it fails clearly rather than skipping.
 *
 * CLI: `tsx scripts/postgres.ts` starts one, prints {url} and runs until Ctrl-C.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** Connection string for the `postgres` database as superuser `postgres`. */
  url: string;
  port: number;
  /** PostgreSQL major version. */
  version: string;
  stop(): Promise<void>;
}

const log = (m: string) => process.stderr.write(`[postgres] ${m}\n`);

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? 120_000,
  });
}

function findBinDir(): { bin: string; version: string } | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? { bin: join(base, versions[0], 'bin'), version: versions[0] } : undefined;
}

function install(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('PostgreSQL server binaries not found and we are not root: install the Debian package `postgresql`');
  }
  log('server binaries not found: apt-get install postgresql (once; scripts/apt-install.sh serializes apt runs)');
  const inst = run('bash', [join(import.meta.dirname, 'apt-install.sh'), 'postgresql'], { env: { DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 1_500_000 });
  if (inst.status !== 0) throw new Error(`apt-get install postgresql failed (status ${inst.status}): ${(inst.stderr || String(inst.error)).slice(-500)}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs `bin/cmd args` as the postgres user when we are root. */
function asServerUser(bin: string, cmd: string, args: string[]): SpawnSyncReturns<string> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) return run(join(bin, cmd), args);
  return run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]);
}

function userIds(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no ${name} user (the postgresql package creates it)`);
  const parts = line.split(':');
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

/** Installs if needed, initialises a cluster in a temporary directory and starts it. */
export async function startPostgres(): Promise<PostgresServer> {
  let found = findBinDir();
  if (!found) {
    install();
    found = findBinDir();
    if (!found) throw new Error('PostgreSQL was installed but no /usr/lib/postgresql/<version>/bin/initdb was found');
  }
  const { bin, version } = found;
  const root = mkdtempSync(join(tmpdir(), 'ssiot-pg-'));
  const data = join(root, 'data');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    const { uid, gid } = userIds('postgres');
    chownSync(root, uid, gid);
  }
  chmodSync(root, 0o700);
  const cleanup = () => rmSync(root, { recursive: true, force: true });

  const init = asServerUser(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  if (init.status !== 0) {
    cleanup();
    throw new Error(`initdb failed (status ${init.status}): ${(init.stderr || String(init.error)).slice(-800)}`);
  }
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = asServerUser(bin, 'pg_ctl', ['-D', data, '-o', opts, '-l', join(root, 'server.log'), '-w', '-t', '60', 'start']);
  if (start.status !== 0) {
    const serverLog = existsSync(join(root, 'server.log')) ? readFileSync(join(root, 'server.log'), 'utf8').slice(-800) : '';
    cleanup();
    throw new Error(`PostgreSQL did not start (pg_ctl status ${start.status}): ${start.stderr.slice(-400)} ${serverLog}`);
  }
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    asServerUser(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    cleanup();
  };
  process.once('exit', stopSync);
  log(`PostgreSQL ${version} on 127.0.0.1:${port}`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    version,
    async stop() {
      process.removeListener('exit', stopSync);
      stopSync();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startPostgres();
  process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
  const shutdown = () => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  setInterval(() => undefined, 1 << 30);
}
