/**
 * `ssiot didcomm pack|unpack` (shared/CLI.md): the appendix vectors through
 * the CLI, every pack mode round-tripped, did:key parties that resolve
 * locally, the error contract, and one run through the real binary.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jwkSecret } from '../protocols/did/keys.ts';
import { base64urlDecode } from '../protocols/encoding/base64url.ts';
import { run, spawnCli, type CliRun } from './support/cli.ts';
import { appendixParties, lunch, makeParty, type Party } from './support/didcomm.ts';
import { listVectors, readVectorText } from './support/vectors.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssiot-didcomm-cli-'));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** A secrets file in the CLI's JWK form for a party. */
const secretsFile = (p: Party, name = p.did.split(':').pop()!) => file(`${name}-secrets.json`, p.secrets.map((s) => jwkSecret(s.id, s.privateKey)));

const errorOf = (r: CliRun) => JSON.parse(r.stderr).error as { code: string; message: string };

const { alice: vAlice, bob: vBob } = appendixParties();
const vectorDids = file('appendix-dids.json', [vAlice.doc, vBob.doc]);
const vBobSecrets = secretsFile(vBob, 'appendix-bob');

describe('ssiot didcomm unpack: the spec appendix', () => {
  it('unpacks every Appendix C example as Bob, with the CLI metadata keys', async () => {
    const files = listVectors('didcomm').filter((f) => /^(plaintext|signed|encrypted)/.test(f));
    expect(files.length).toBe(10);
    for (const f of files) {
      const r = await run(['didcomm', 'unpack', '--secrets', vBobSecrets, '--dids', vectorDids, '--now', '1516269100'], readVectorText(`didcomm/${f}`));
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.message.id).toBe('1234567890');
      expect(Object.keys(out.metadata).sort()).toEqual(
        ['anonymous_sender', 'authenticated', 'enc_alg', 'encrypted', 'encrypted_from_kid', 'encrypted_to_kids', 'non_repudiation', 're_wrapped_in_forward', 'sign_from'].sort(),
      );
      if (f === 'encrypted-anoncrypt-ecdh-es-p521-a256gcm.json') expect(out.metadata.enc_alg).toBe('ECDH-ES+A256KW/A256GCM');
      if (f === 'encrypted-authcrypt-ecdh-1pu-x25519-a256cbc-hs512.json') {
        expect(out.metadata.enc_alg).toBe('ECDH-1PU+A256KW/A256CBC-HS512');
        expect(out.metadata.encrypted_from_kid).toBe('did:example:alice#key-x25519-1');
      }
      if (f === 'plaintext.json') expect(out.metadata).toMatchObject({ encrypted: false, enc_alg: null, sign_from: null, encrypted_to_kids: null });
    }
  });

  it('without --now the appendix messages are refused as expired (exit 1, typed error)', async () => {
    const r = await run(['didcomm', 'unpack', '--secrets', vBobSecrets, '--dids', vectorDids], readVectorText('didcomm/signed-eddsa-ed25519.json'));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(errorOf(r).code).toBe('didcomm.expired');
  });
});

describe('ssiot didcomm pack then unpack', () => {
  const alice = makeParty('alice', { agreement: ['X25519', 'P-384'], signing: ['Ed25519'] });
  const bob = makeParty('bob', { agreement: ['X25519'] });
  const carol = makeParty('carol', { agreement: ['P-384'] });
  const dids = file('dids.json', [alice.doc, bob.doc, carol.doc]);
  const aliceSecrets = secretsFile(alice);
  const bobSecrets = secretsFile(bob);
  const carolSecrets = secretsFile(carol);
  const msg = JSON.stringify(lunch(alice.did, undefined));

  const pack = (args: string[], stdin = msg) => run(['didcomm', 'pack', '--secrets', aliceSecrets, '--dids', dids, ...args], stdin);
  const unpackAs = (secrets: string, envelope: string) => run(['didcomm', 'unpack', '--secrets', secrets, '--dids', dids], envelope);

  const CASES: [string[], Record<string, unknown>][] = [
    [['--mode', 'plaintext'], { encrypted: false, authenticated: false }],
    [['--mode', 'signed', '--sign', `${alice.did}#sign-ed25519-1`], { encrypted: false, non_repudiation: true, sign_from: `${alice.did}#sign-ed25519-1` }],
    [['--mode', 'authcrypt', '--from', alice.did], { authenticated: true, anonymous_sender: false, encrypted_from_kid: `${alice.did}#ka-x25519-1` }],
    [['--mode', 'anoncrypt', '--enc', 'XC20P'], { anonymous_sender: true, authenticated: false, enc_alg: 'ECDH-ES+A256KW/XC20P' }],
    [['--mode', 'anoncrypt', '--sign', alice.did, '--enc', 'A256GCM'], { anonymous_sender: true, non_repudiation: true }],
    [['--mode', 'authcrypt', '--from', alice.did, '--protect-sender'], { anonymous_sender: true, authenticated: true, enc_alg: 'ECDH-ES+A256KW/A256CBC-HS512' }],
  ];
  for (const [args, expected] of CASES) {
    it(args.join(' '), async () => {
      const p = await pack(['--to', bob.did, ...args]);
      expect(p.status, p.stderr).toBe(0);
      const envelope = JSON.parse(p.stdout);
      expect(typeof envelope).toBe('object');
      const u = await unpackAs(bobSecrets, p.stdout);
      expect(u.status, u.stderr).toBe(0);
      const out = JSON.parse(u.stdout);
      expect(out.message.body).toEqual(JSON.parse(msg).body);
      expect(out.message.to).toEqual([bob.did]);
      expect(out.metadata).toMatchObject(expected);
    });
  }

  it('--to with two DIDs gives one envelope per DID (each on that DID\'s curve)', async () => {
    const p = await pack(['--mode', 'authcrypt', '--from', alice.did, '--to', `${bob.did},${carol.did}`]);
    expect(p.status, p.stderr).toBe(0);
    const [toBob, toCarol] = JSON.parse(p.stdout);
    const crv = (e: { protected: string }) => JSON.parse(new TextDecoder().decode(base64urlDecode(e.protected))).epk.crv;
    expect([crv(toBob), crv(toCarol)]).toEqual(['X25519', 'P-384']);
    const b = JSON.parse((await unpackAs(bobSecrets, JSON.stringify(toBob))).stdout);
    const c = JSON.parse((await unpackAs(carolSecrets, JSON.stringify(toCarol))).stdout);
    expect(b.message.to).toEqual([bob.did, carol.did]);
    expect(c.metadata.encrypted_from_kid).toBe(`${alice.did}#ka-p-384-1`);
    // Each envelope is for its own recipient only.
    const wrong = await unpackAs(carolSecrets, JSON.stringify(toBob));
    expect(wrong.status).toBe(1);
    expect(errorOf(wrong).code).toBe('didcomm.unknown_recipient');
  });

  it('--forward wraps for the recipient\'s mediator', async () => {
    const mediator = makeParty('mediator');
    const dave = makeParty('dave', { service: { uri: 'https://mediator.example', routingKeys: [`${mediator.did}#ka-x25519-1`] } });
    const dids2 = file('dids2.json', [alice.doc, mediator.doc, dave.doc]);
    const p = await run(['didcomm', 'pack', '--mode', 'anoncrypt', '--forward', '--to', dave.did, '--secrets', aliceSecrets, '--dids', dids2], msg);
    expect(p.status, p.stderr).toBe(0);
    const atMediator = JSON.parse((await run(['didcomm', 'unpack', '--secrets', secretsFile(mediator), '--dids', dids2], p.stdout)).stdout);
    expect(atMediator.message.type).toBe('https://didcomm.org/routing/2.0/forward');
    expect(atMediator.message.body.next).toBe(dave.did);
  });

  it('did:key parties from `ssiot did create key` need no DIDs file', async () => {
    const a = JSON.parse((await run(['did', 'create', 'key'])).stdout);
    const b = JSON.parse((await run(['did', 'create', 'key'])).stdout);
    const aSecrets = file('a-key.json', a.secrets);
    const bSecrets = file('b-key.json', b.secrets);
    const m = JSON.stringify(lunch(a.did, [b.did]));
    const p = await run(['didcomm', 'pack', '--mode', 'authcrypt', '--from', a.did, '--sign', a.did, '--to', b.did, '--secrets', aSecrets], m);
    expect(p.status, p.stderr).toBe(0);
    const u = JSON.parse((await run(['didcomm', 'unpack', '--secrets', bSecrets], p.stdout)).stdout);
    expect(u.metadata).toMatchObject({ authenticated: true, non_repudiation: true, encrypted: true });
    expect(u.metadata.encrypted_from_kid.startsWith(`${a.did}#`)).toBe(true);
  });
});

describe('ssiot didcomm: usage and errors', () => {
  const alice = makeParty('alice');
  const dids = file('u-dids.json', [alice.doc]);
  const secrets = secretsFile(alice, 'u-alice');
  const msg = JSON.stringify(lunch(alice.did, undefined));

  it('--help on both commands', async () => {
    for (const cmd of ['pack', 'unpack']) {
      const r = await run(['didcomm', cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`ssiot didcomm ${cmd}`);
      expect(r.stdout).toContain('--secrets');
    }
  });

  it('usage mistakes exit 2 with cli.usage', async () => {
    for (const args of [
      ['--mode', 'loud', '--to', alice.did],
      ['--mode', 'authcrypt', '--to', alice.did],
      ['--mode', 'anoncrypt', '--from', alice.did, '--to', alice.did],
      ['--mode', 'signed', '--to', alice.did],
      ['--mode', 'anoncrypt', '--enc', 'A128GCM', '--to', alice.did],
      ['--mode', 'plaintext', '--to', ','],
    ]) {
      const r = await run(['didcomm', 'pack', '--secrets', secrets, '--dids', dids, ...args], msg);
      expect(r.status, args.join(' ')).toBe(2);
      expect(errorOf(r).code).toBe('cli.usage');
    }
    const r = await run(['didcomm', 'unpack', '--secrets', secrets, '--now', 'soon'], '{}');
    expect(r.status).toBe(2);
  });

  it('bad input exits 1 with a didcomm code on stderr and nothing on stdout', async () => {
    const cases: [string[], string, string][] = [
      [['pack', '--mode', 'anoncrypt', '--to', alice.did], '{"id":"x"}', 'didcomm.invalid_message'],
      [['pack', '--mode', 'anoncrypt', '--to', 'did:example:nobody'], msg, 'didcomm.unknown_recipient'],
      [['unpack'], 'not json', 'didcomm.malformed'],
      [['unpack', '--max-bytes', '10'], msg, 'didcomm.too_large'],
    ];
    for (const [args, stdin, code] of cases) {
      const r = await run(['didcomm', ...args, '--secrets', secrets, '--dids', dids], stdin);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(errorOf(r).code).toBe(code);
    }
  });

  it('the real binary: pack | unpack', async () => {
    const runBin = async (args: string[], stdin: string) => {
      const r = await spawnCli(args, { stdin, env: process.env });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const packed = await runBin(['didcomm', 'pack', '--mode', 'authcrypt', '--from', alice.did, '--to', alice.did, '--secrets', secrets, '--dids', dids], msg);
    const out = JSON.parse(await runBin(['didcomm', 'unpack', '--secrets', secrets, '--dids', dids], packed));
    expect(out.metadata.authenticated).toBe(true);
    expect(out.message.id).toBe(JSON.parse(msg).id);
  });
});
