/**
 * The `ssiot` CLI as people and scripts use it (shared/CLI.md): a few runs
 * through the real binary (`bin/ssiot.js`), the exhaustive cases in-process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, spawnCli } from './support/cli.ts';

const ZERO_SEED = '00'.repeat(32);
/** shared/vectors/did-key/ed25519-x25519.json: the DID of the all-zero seed. */
const ZERO_SEED_DID = 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp';

function credentialFor(issuer: string) {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: 'urn:uuid:7f1f3c2e-2b1a-4f57-9a43-2f4c1f0e9b10',
    type: ['VerifiableCredential', 'DeviceCertificate'],
    issuer,
    validFrom: '2026-01-01T00:00:00Z',
    credentialSubject: { id: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', model: 'Grinder G1', serial: 'SN-0001' },
  };
}

describe('ssiot CLI (real process)', () => {
  it('did create key --seed prints the did:key of the seed as JSON', async () => {
    const r = await spawnCli(['did', 'create', 'key', '--seed', ZERO_SEED]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.did).toBe(ZERO_SEED_DID);
    expect(out.document.id).toBe(ZERO_SEED_DID);
    expect(out.secrets[0]).toMatchObject({ id: `${ZERO_SEED_DID}#${ZERO_SEED_DID.slice(8)}`, type: 'JsonWebKey2020' });
    expect(out.secrets[0].privateKeyJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });

  it('errors are JSON on stderr with a stable code, nothing on stdout, exit ≠ 0', async () => {
    const r = await spawnCli(['did', 'resolve', 'did:key:zNotBase58!!']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    const err = JSON.parse(r.stderr.trim().split('\n').pop()!);
    expect(err.error.code).toMatch(/^(did|encoding)\./);
    expect(typeof err.error.message).toBe('string');
  });

  it('vc issue then vc verify through stdin and files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssiot-cli-'));
    const created = JSON.parse((await spawnCli(['did', 'create', 'key'])).stdout);
    const secrets = join(dir, 'secrets.json');
    writeFileSync(secrets, JSON.stringify(created.secrets));
    const issued = await spawnCli(['vc', 'issue', '--secrets', secrets, '--kid', created.secrets[0].id], { stdin: JSON.stringify(credentialFor(created.did)) });
    expect(issued.status).toBe(0);
    const verified = await spawnCli(['vc', 'verify'], { stdin: issued.stdout });
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toEqual({ verified: true, errors: [] });
  });

  it('--help works on every command and group', async () => {
    const r = await spawnCli(['vc', 'issue', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--secrets');
    expect(r.stdout).toContain('--kid');
  });
});

describe('ssiot did', () => {
  it('did create key without a seed makes a fresh DID each time', async () => {
    const a = JSON.parse((await run(['did', 'create', 'key'])).stdout);
    const b = JSON.parse((await run(['did', 'create', 'key'])).stdout);
    expect(a.did).toMatch(/^did:key:z6Mk/);
    expect(a.did).not.toBe(b.did);
    expect(a.secrets).toHaveLength(2);
    expect(a.secrets[1].privateKeyJwk).toMatchObject({ kty: 'OKP', crv: 'X25519' });
  });

  it('did create peer2 --service adds a DIDCommMessaging service', async () => {
    const r = await run(['did', 'create', 'peer2', '--service', 'http://192.0.2.10:8080/didcomm']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.did).toMatch(/^did:peer:2\.Vz6Mk[^.]+\.Ez6LS[^.]+\.S/);
    expect(out.document.service[0]).toMatchObject({ type: 'DIDCommMessaging', serviceEndpoint: { uri: 'http://192.0.2.10:8080/didcomm' } });
    expect(out.secrets.map((s: { id: string }) => s.id)).toEqual([`${out.did}#key-1`, `${out.did}#key-2`]);
  });

  it('did resolve gives the same document as create, for did:key and did:peer:2', async () => {
    for (const kind of ['key', 'peer2']) {
      const created = JSON.parse((await run(['did', 'create', kind])).stdout);
      const resolved = await run(['did', 'resolve', created.did]);
      expect(resolved.status).toBe(0);
      expect(JSON.parse(resolved.stdout)).toEqual(created.document);
    }
  });

  it('bad input: typed errors with stable codes', async () => {
    const cases: [string[], string][] = [
      [['did', 'create', 'key', '--seed', 'abc'], 'cli.usage'],
      [['did', 'create', 'key', '--bogus'], 'cli.usage'],
      [['did', 'resolve'], 'cli.usage'],
      [['did', 'resolve', 'not-a-did'], 'did.invalid'],
      [['did', 'resolve', 'did:Key:z6Mk'], 'did.invalid'],
      [['did', 'resolve', 'did:example:123'], 'did.unsupported_method'],
    ];
    for (const [argv, code] of cases) {
      const r = await run(argv);
      expect(r.status, argv.join(' ')).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(JSON.parse(r.stderr).error.code, argv.join(' ')).toBe(code);
    }
  });

  it('an unknown command prints the group help and fails with cli.usage', async () => {
    const r = await run(['did', 'frobnicate']);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stderr).error.code).toBe('cli.usage');
  });
});

describe('ssiot vc', () => {
  async function issued(): Promise<{ text: string; dir: string; did: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'ssiot-vc-'));
    const created = JSON.parse((await run(['did', 'create', 'key', '--seed', ZERO_SEED])).stdout);
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify(created.secrets));
    const r = await run(['vc', 'issue', '--secrets', join(dir, 'secrets.json'), '--kid', created.secrets[0].id], JSON.stringify(credentialFor(created.did)));
    expect(r.status).toBe(0);
    return { text: r.stdout, dir, did: created.did };
  }

  it('issues an eddsa-jcs-2022 proof that verifies', async () => {
    const { text, did } = await issued();
    const vc = JSON.parse(text);
    expect(vc.proof).toMatchObject({ type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', proofPurpose: 'assertionMethod' });
    expect(vc.proof.verificationMethod.startsWith(did)).toBe(true);
    const v = await run(['vc', 'verify'], text);
    expect(v.status).toBe(0);
    expect(JSON.parse(v.stdout)).toEqual({ verified: true, errors: [] });
  });

  it('a one-byte change anywhere in the credential makes verification fail with a reason', async () => {
    const { text } = await issued();
    const bytes = new TextEncoder().encode(text);
    let checked = 0;
    for (let i = 0; i < bytes.length; i++) {
      // Trailing newline after the JSON document is not part of the credential.
      if (i === bytes.length - 1 && bytes[i] === 0x0a) continue;
      const changed = bytes.slice();
      changed[i] ^= 0x01;
      const r = await run(['vc', 'verify'], new TextDecoder().decode(changed));
      const out = JSON.parse(r.stdout);
      expect(r.status, `byte ${i} (${JSON.stringify(text[i])})`).toBe(1);
      expect(out.verified).toBe(false);
      expect(out.errors.length, `byte ${i}`).toBeGreaterThan(0);
      expect(out.errors[0].code).toMatch(/^(vc|did|encoding)\.[a-z_]+$/);
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('verify uses --dids for DIDs that do not resolve locally', async () => {
    const { text } = await issued();
    const dir = mkdtempSync(join(tmpdir(), 'ssiot-dids-'));
    writeFileSync(join(dir, 'dids.json'), '[]');
    const r = await run(['vc', 'verify', '--dids', join(dir, 'dids.json')], text);
    expect(r.status).toBe(0);
    writeFileSync(join(dir, 'bad.json'), '{"not":"an array"}');
    const bad = await run(['vc', 'verify', '--dids', join(dir, 'bad.json')], text);
    expect(JSON.parse(bad.stderr).error.code).toBe('cli.invalid_dids');
  });

  it('issue: bad input gets stable codes and never prints the secret', async () => {
    const { dir, did } = await issued();
    const secrets = join(dir, 'secrets.json');
    const cases: [string[], string, string][] = [
      [['vc', 'issue', '--secrets', secrets, '--kid', `${did}#nope`], JSON.stringify(credentialFor(did)), 'cli.unknown_kid'],
      [['vc', 'issue', '--secrets', join(dir, 'missing.json'), '--kid', 'x'], '{}', 'cli.io'],
      [['vc', 'issue', '--secrets', secrets, '--kid', `${did}#${did.slice(8)}`], '{not json', 'encoding.invalid_json'],
      [['vc', 'issue', '--secrets', secrets], '{}', 'cli.usage'],
    ];
    const secretText = JSON.stringify(JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(secrets, 'utf8'))));
    const d = JSON.parse(secretText)[0].privateKeyJwk.d as string;
    for (const [argv, stdin, code] of cases) {
      const r = await run(argv, stdin);
      expect(r.status).not.toBe(0);
      expect(JSON.parse(r.stderr).error.code).toBe(code);
      expect(r.stderr).not.toContain(d);
    }
  });
});
