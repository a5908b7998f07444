/**
 * `ssiot wallet …` (shared/CLI.md): the whole life of a wallet through the
 * CLI — create, add, get, search, rekey, export, import — on SQLite and on
 * the key-value directory layout, with passphrases from the environment and
 * typed errors that change nothing. Mostly in-process; one real process.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as runCli, spawnCli } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssiot-cli-wallet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number;
  stdout: string;
  stderr: string;
  json: unknown;
  code?: string;
}

const ENV_NAMES = ['SSIOT_WALLET_PASSPHRASE', 'SSIOT_WALLET_NEW_PASSPHRASE', 'SSIOT_EXPORT_PASSPHRASE', 'SSIOT_WALLET_ARGON2'] as const;
/** Cheap Argon2id for new records in most runs (the default cost is exercised by the real-process test). */
const LIGHT = 'm=256,t=1,p=1';

/** In-process run with the given passphrase environment (restored afterwards). */
async function run(argv: string[], env: Partial<Record<(typeof ENV_NAMES)[number], string>> = {}): Promise<Run> {
  const saved = ENV_NAMES.map((n) => process.env[n]);
  for (const n of ENV_NAMES) delete process.env[n];
  Object.assign(process.env, { SSIOT_WALLET_ARGON2: LIGHT }, env);
  try {
    const { status, stdout, stderr } = await runCli(argv);
    const json = stdout.trim() && !argv.includes('--help') ? JSON.parse(stdout) : undefined;
    const code = stderr.trim() ? (JSON.parse(stderr.trim().split('\n').pop()!) as { error: { code: string } }).error.code : undefined;
    return { status, stdout, stderr, json, code };
  } finally {
    ENV_NAMES.forEach((n, i) => (saved[i] === undefined ? delete process.env[n] : (process.env[n] = saved[i])));
  }
}

const PW = { SSIOT_WALLET_PASSPHRASE: 'wallet pass' };
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('ssiot wallet (sqlite)', () => {
  const path = join(dir, 'w.db');

  it('creates, adds, gets and searches', async () => {
    expect((await run(['wallet', 'create', '--path', path], PW)).json).toEqual({ path });
    expect((await run(['wallet', 'create', '--path', path], PW)).code).toBe('wallet.exists');
    const add = async (id: string, tags: object) =>
      run(['wallet', 'add', '--path', path, '--type', 'credential', '--id', id, '--value', `value of ${id}`, '--tags', JSON.stringify(tags)], PW);
    expect((await add('c1', { issuer: 'did:ex:a', '~date': '2026-01-05' })).json).toEqual({ type: 'credential', id: 'c1' });
    await add('c2', { issuer: 'did:ex:b', '~date': '2026-02-01' });
    await add('c3', { issuer: 'did:ex:a', '~date': '2025-12-31' });
    expect((await add('c1', {})).code).toBe('wallet.duplicate');

    expect((await run(['wallet', 'get', '--path', path, '--type', 'credential', '--id', 'c2'], PW)).json).toEqual({
      type: 'credential',
      id: 'c2',
      value: 'value of c2',
      tags: { issuer: 'did:ex:b', '~date': '2026-02-01' },
    });
    const missing = await run(['wallet', 'get', '--path', path, '--type', 'credential', '--id', 'nope'], PW);
    expect([missing.status, missing.code, missing.stdout]).toEqual([1, 'wallet.item_not_found', '']);

    const search = await run(['wallet', 'search', '--path', path, '--type', 'credential', '--query', '{"issuer":"did:ex:a","~date":{"$gte":"2026"}}'], PW);
    expect((search.json as { id: string }[]).map((i) => i.id)).toEqual(['c1']);
    expect(((await run(['wallet', 'search', '--path', path, '--type', 'credential'], PW)).json as unknown[]).length).toBe(3);
    expect((await run(['wallet', 'search', '--path', path, '--type', 'credential', '--query', '{"issuer":{"$like":"did%"}}'], PW)).code).toBe(
      'wallet.invalid_query',
    );
  });

  it('refuses a wrong or missing passphrase without changing the file', async () => {
    const before = sha(path);
    const wrong = await run(['wallet', 'get', '--path', path, '--type', 'credential', '--id', 'c1'], { SSIOT_WALLET_PASSPHRASE: 'guess' });
    expect([wrong.status, wrong.code]).toEqual([1, 'wallet.wrong_passphrase']);
    expect((await run(['wallet', 'get', '--path', path, '--type', 'credential', '--id', 'c1'])).code).toBe('cli.missing_passphrase');
    expect((await run(['wallet', 'get', '--path', join(dir, 'none.db'), '--type', 't', '--id', 'x'], PW)).code).toBe('wallet.not_found');
    expect(existsSync(join(dir, 'none.db'))).toBe(false);
    expect(sha(path)).toBe(before);
  });

  it('rekeys: the old passphrase stops working, items stay', async () => {
    const r = await run(['wallet', 'rekey', '--path', path], { ...PW, SSIOT_WALLET_NEW_PASSPHRASE: 'new pass' });
    expect(r.json).toEqual({ rewrapped: 7, items: 0 });
    expect((await run(['wallet', 'get', '--path', path, '--type', 'credential', '--id', 'c1'], PW)).code).toBe('wallet.wrong_passphrase');
    const ok = await run(['wallet', 'get', '--path', path, '--type', 'credential', '--id', 'c1'], { SSIOT_WALLET_PASSPHRASE: 'new pass' });
    expect((ok.json as { value: string }).value).toBe('value of c1');
    expect((await run(['wallet', 'rekey', '--path', path], { SSIOT_WALLET_PASSPHRASE: 'new pass' })).code).toBe('cli.missing_passphrase');
  });

  it('exports and imports; bad files and non-empty targets import nothing', async () => {
    const env = { SSIOT_WALLET_PASSPHRASE: 'new pass', SSIOT_EXPORT_PASSPHRASE: 'export pass' };
    const out = join(dir, 'w.export');
    expect((await run(['wallet', 'export', '--path', path, '--out', out], env)).json).toEqual({ items: 3 });
    expect(statSync(out).mode & 0o077).toBe(0);

    const copy = join(dir, 'copy.db');
    const badFile = join(dir, 'bad.export');
    const bytes = readFileSync(out);
    bytes[bytes.length - 20] ^= 1;
    writeFileSync(badFile, bytes);
    expect((await run(['wallet', 'import', '--path', copy, '--in', badFile], env)).code).toBe('wallet.export_corrupted');
    expect(existsSync(copy)).toBe(false);
    writeFileSync(badFile, readFileSync(out).subarray(0, 200));
    expect((await run(['wallet', 'import', '--path', copy, '--in', badFile], env)).code).toBe('wallet.export_truncated');
    expect((await run(['wallet', 'import', '--path', copy, '--in', out], { ...env, SSIOT_EXPORT_PASSPHRASE: 'nope' })).code).toBe('wallet.wrong_passphrase');
    expect(existsSync(copy)).toBe(false);

    expect((await run(['wallet', 'import', '--path', copy, '--in', out], env)).json).toEqual({ items: 3 });
    const search = await run(['wallet', 'search', '--path', copy, '--type', 'credential', '--query', '{"~date":{"$lt":"2026"}}'], env);
    expect((search.json as { id: string }[]).map((i) => i.id)).toEqual(['c3']);
    const before = sha(copy);
    expect((await run(['wallet', 'import', '--path', copy, '--in', out], env)).code).toBe('wallet.not_empty');
    expect(sha(copy)).toBe(before);
  });
});

describe('ssiot wallet (key-value directory, the device layout)', () => {
  it('creates a kv wallet, adds and gets, and exports to SQLite', async () => {
    const path = join(dir, 'device-wallet');
    expect((await run(['wallet', 'create', '--path', path, '--backend', 'kv'], PW)).json).toEqual({ path });
    expect(statSync(path).isDirectory()).toBe(true);
    await run(['wallet', 'add', '--path', path, '--type', 'owner', '--id', 'o1', '--value', 'did:peer:2…', '--tags', '{"~since":"2026"}'], PW);
    expect(((await run(['wallet', 'get', '--path', path, '--type', 'owner', '--id', 'o1'], PW)).json as { value: string }).value).toBe('did:peer:2…');
    const env = { ...PW, SSIOT_EXPORT_PASSPHRASE: 'x' };
    const out = join(dir, 'device.export');
    expect((await run(['wallet', 'export', '--path', path, '--out', out], env)).json).toEqual({ items: 1 });
    expect((await run(['wallet', 'import', '--path', join(dir, 'from-device.db'), '--in', out], env)).json).toEqual({ items: 1 });
    expect((await run(['wallet', 'create', '--path', join(dir, 'x'), '--backend', 'redis'], PW)).code).toBe('cli.usage');
  });

  it('prints help for every wallet command', async () => {
    for (const c of ['create', 'add', 'get', 'search', 'rekey', 'export', 'import']) {
      const r = await run(['wallet', c, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`ssiot wallet ${c}`);
    }
  });
});

describe('ssiot wallet (real process)', () => {
  it('reads the passphrase from the environment, uses the default Argon2id cost, prints JSON only', async () => {
    const path = join(dir, 'spawned.db');
    const env: NodeJS.ProcessEnv = { ...process.env, SSIOT_WALLET_PASSPHRASE: 'spawned' };
    delete env.SSIOT_WALLET_ARGON2;
    const created = await spawnCli(['wallet', 'create', '--path', path], { env });
    expect(JSON.parse(created.stdout)).toEqual({ path });
    await run(['wallet', 'add', '--path', path, '--type', 't', '--id', '1', '--value', 'v', '--tags', '{"~n":"1"}'], { SSIOT_WALLET_PASSPHRASE: 'spawned' });
    const found = await spawnCli(['wallet', 'search', '--path', path, '--type', 't', '--query', '{"~n":{"$like":"_"}}'], { env });
    expect(JSON.parse(found.stdout)).toEqual([{ type: 't', id: '1', value: 'v', tags: { '~n': '1' } }]);
    const failed = await spawnCli(['wallet', 'get', '--path', path, '--type', 't', '--id', '1'], { env: { ...env, SSIOT_WALLET_PASSPHRASE: 'wrong' } });
    expect(failed.status).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.error?.code).toBe('wallet.wrong_passphrase');
  });

  it('refuses a malformed SSIOT_WALLET_ARGON2', async () => {
    expect((await run(['wallet', 'create', '--path', join(dir, 'k.db')], { ...PW, SSIOT_WALLET_ARGON2: 'lots' })).code).toBe('cli.usage');
    expect((await run(['wallet', 'create', '--path', join(dir, 'k.db')], { ...PW, SSIOT_WALLET_ARGON2: 'm=1,t=1,p=1' })).code).toBe('wallet.invalid_kdf');
    expect(existsSync(join(dir, 'k.db'))).toBe(false);
  });
});
