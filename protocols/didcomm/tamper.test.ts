/**
 * What unpack must refuse, each with its typed code:
 *  - a bit flipped in any byte of the protected header, encrypted_key, iv,
 *    ciphertext or tag (authcrypt and anoncrypt), and of a JWS;
 *  - wrong recipient, unknown sender key, from/skid mismatch, signer
 *    mismatch, recipient not in `to`, expired, replayed, too large;
 *  - envelopes nested against the spec's table, and junk of every shape.
 * In Node every byte of every region is flipped; in XS (~50x slower) a
 * sample of positions per region.
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { lunch, makeParty, resolverOf } from '../../tests/support/didcomm.ts';
import { engine } from '../../tests/support/vectors.ts';
import { createStaticResolver } from '../did/resolver.ts';
import { base64urlDecode, base64urlEncode } from '../encoding/base64url.ts';
import { utf8Decode, utf8Encode } from '../encoding/bytes.ts';
import { DidcommError } from '../errors.ts';
import { keyAgreementKeys } from './did-keys.ts';
import { encryptJwe } from './jwe.ts';
import { signJws } from './jws.ts';
import { MEDIA_TYPE_PLAIN } from './message.ts';
import { packEncrypted, packPlaintext, packSigned } from './pack.ts';
import { createReplayGuard } from './replay.ts';
import { unpack } from './unpack.ts';

const alice = makeParty('alice', { agreement: ['X25519'], signing: ['Ed25519'] });
const bob = makeParty('bob', { agreement: ['X25519'] });
const carol = makeParty('carol', { agreement: ['X25519'], signing: ['Ed25519'] });
const resolver = resolverOf(alice, bob, carol);
const opts = { resolver, secrets: bob.resolver };

/** Byte positions to flip in a region of `n` bytes: all of them in Node, a spread sample in XS. */
function positions(n: number): number[] {
  if (engine() === 'node') return Array.from({ length: n }, (_, i) => i);
  return [...new Set([0, 1, Math.floor(n / 3), Math.floor(n / 2), n - 2, n - 1])].filter((i) => i >= 0 && i < n);
}

/** The error code unpack throws for `packed`, or '(accepted)'; anything but a DidcommError fails the test. */
async function codeOf(packed: string | object): Promise<string> {
  try {
    await unpack(packed, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(DidcommError);
    return (e as DidcommError).code;
  }
  return '(accepted)';
}

type Path = (jwe: Record<string, any>) => { get(): string; set(v: string): void };
const REGIONS: Record<string, Path> = {
  protected: (j) => ({ get: () => j.protected, set: (v) => (j.protected = v) }),
  encrypted_key: (j) => ({ get: () => j.recipients[0].encrypted_key, set: (v) => (j.recipients[0].encrypted_key = v) }),
  iv: (j) => ({ get: () => j.iv, set: (v) => (j.iv = v) }),
  ciphertext: (j) => ({ get: () => j.ciphertext, set: (v) => (j.ciphertext = v) }),
  tag: (j) => ({ get: () => j.tag, set: (v) => (j.tag = v) }),
};

/** Every flip of a bit in each byte of the region: rejected, with `decrypt_failed` wherever the header still parses. */
async function flipRegion(packed: string, region: string): Promise<Set<string>> {
  const codes = new Set<string>();
  const n = base64urlDecode(REGIONS[region](JSON.parse(packed)).get()).length;
  for (const i of positions(n)) {
    const jwe = JSON.parse(packed);
    const slot = REGIONS[region](jwe);
    const bytes = base64urlDecode(slot.get());
    bytes[i] ^= 1 << (i % 8);
    slot.set(base64urlEncode(bytes));
    codes.add(await codeOf(jwe));
  }
  return codes;
}

describe('tampering with an encrypted envelope', () => {
  for (const mode of ['authcrypt', 'anoncrypt'] as const) {
    for (const region of Object.keys(REGIONS)) {
      it(`${mode}: a bit flipped in any byte of ${region} is refused`, async () => {
        const r = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, from: mode === 'authcrypt' ? alice.did : undefined, resolver, secrets: alice.resolver });
        expect(await codeOf(r.packed)).toBe('(accepted)');
        const codes = await flipRegion(r.packed, region);
        expect(codes.has('(accepted)')).toBe(false);
        if (region === 'protected') {
          for (const c of codes) expect(['didcomm.malformed', 'didcomm.decrypt_failed', 'didcomm.unsupported_alg', 'didcomm.unknown_sender_key', 'didcomm.invalid_key']).toContain(c);
        } else {
          expect([...codes]).toEqual(['didcomm.decrypt_failed']);
        }
      });
    }
  }

  it('a recipient kid changed in the per-recipient header is refused', async () => {
    const r = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
    const jwe = JSON.parse(r.packed);
    jwe.recipients[0].header.kid = `${carol.did}#ka-x25519-1`;
    expect(await codeOf(jwe)).toBe('didcomm.malformed'); // apv no longer matches
  });
});

describe('tampering with a signed message', () => {
  it('a bit flipped in the payload, protected header or signature is refused', async () => {
    const { packed } = await packSigned(lunch(alice.did, [bob.did]), { signBy: alice.did, resolver, secrets: alice.resolver });
    const regions: Record<string, (j: any) => { get(): string; set(v: string): void }> = {
      payload: (j) => ({ get: () => j.payload, set: (v) => (j.payload = v) }),
      protected: (j) => ({ get: () => j.signatures[0].protected, set: (v) => (j.signatures[0].protected = v) }),
      signature: (j) => ({ get: () => j.signatures[0].signature, set: (v) => (j.signatures[0].signature = v) }),
    };
    for (const [name, at] of Object.entries(regions)) {
      const n = base64urlDecode(at(JSON.parse(packed)).get()).length;
      for (const i of positions(n)) {
        const jws = JSON.parse(packed);
        const slot = at(jws);
        const bytes = base64urlDecode(slot.get());
        bytes[i] ^= 1 << (i % 8);
        slot.set(base64urlEncode(bytes));
        const code = await codeOf(jws);
        expect(code, `${name}[${i}]`).not.toBe('(accepted)');
        if (name === 'signature') expect(code).toBe('didcomm.invalid_signature');
      }
    }
  });
});

describe('receiver checks', () => {
  it('wrong recipient: not encrypted to any key we hold', async () => {
    const r = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
    await expectCodeAsync(() => unpack(r.packed, { resolver, secrets: carol.resolver }), 'didcomm.unknown_recipient');
  });

  it('unknown sender key: skid whose DID does not resolve, or not in keyAgreement', async () => {
    const r = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
    await expectCodeAsync(() => unpack(r.packed, { resolver: resolverOf(bob, carol), secrets: bob.resolver }), 'didcomm.unknown_sender_key');
    // Alice's document as Bob sees it lists the same key under authentication only.
    const moved = { ...alice.doc, authentication: alice.doc.keyAgreement, keyAgreement: [] };
    await expectCodeAsync(() => unpack(r.packed, { resolver: createStaticResolver([moved, bob.doc]), secrets: bob.resolver }), 'didcomm.unknown_sender_key');
  });

  it('from/skid mismatch: Alice\'s key, but the plaintext claims Carol', async () => {
    const forged = { ...lunch(carol.did, [bob.did]), typ: MEDIA_TYPE_PLAIN };
    const jwe = encryptJwe(utf8Encode(JSON.stringify(forged)), {
      alg: 'ECDH-1PU+A256KW',
      enc: 'A256CBC-HS512',
      recipients: await keyAgreementKeys(resolver, bob.did),
      sender: { kid: alice.secrets[1].id, secret: alice.secrets[1] },
    });
    await expectCodeAsync(() => unpack(JSON.stringify(jwe), opts), 'didcomm.sender_mismatch');
    const anonymous = { ...forged, from: undefined };
    const jwe2 = encryptJwe(utf8Encode(JSON.stringify(anonymous)), {
      alg: 'ECDH-1PU+A256KW',
      enc: 'A256CBC-HS512',
      recipients: await keyAgreementKeys(resolver, bob.did),
      sender: { kid: alice.secrets[1].id, secret: alice.secrets[1] },
    });
    await expectCodeAsync(() => unpack(JSON.stringify(jwe2), opts), 'didcomm.sender_mismatch');
  });

  it('signer mismatch, and a signing key outside authentication', async () => {
    const claimsCarol = signJws(utf8Encode(JSON.stringify(lunch(carol.did, [bob.did]))), alice.secrets[0]);
    await expectCodeAsync(() => unpack(JSON.stringify(claimsCarol), opts), 'didcomm.signer_mismatch');
    const honest = signJws(utf8Encode(JSON.stringify(lunch(alice.did, [bob.did]))), alice.secrets[0]);
    expect(await codeOf(honest)).toBe('(accepted)');
    const demoted = { ...alice.doc, assertionMethod: alice.doc.authentication, authentication: [] };
    await expectCodeAsync(() => unpack(JSON.stringify(honest), { resolver: createStaticResolver([demoted, bob.doc]), secrets: bob.resolver }), 'didcomm.unknown_sender_key');
  });

  it('recipient not in to: encrypted to Bob, addressed to Carol', async () => {
    const m = { ...lunch(alice.did, [carol.did]), typ: MEDIA_TYPE_PLAIN };
    const jwe = encryptJwe(utf8Encode(JSON.stringify(m)), { alg: 'ECDH-ES+A256KW', enc: 'XC20P', recipients: await keyAgreementKeys(resolver, bob.did) });
    await expectCodeAsync(() => unpack(JSON.stringify(jwe), opts), 'didcomm.recipient_mismatch');
  });

  it('expired: refused after expires_time, accepted up to it', async () => {
    const m = lunch(alice.did, [bob.did], { expires_time: 2000000000 });
    const r = await packEncrypted(m, { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
    await expectCodeAsync(() => unpack(r.packed, { ...opts, now: 2000000001 }), 'didcomm.expired');
    expect((await unpack(r.packed, { ...opts, now: 2000000000 })).message.id).toBe(m.id);
  });

  it('replayed: the same message twice is refused by the guard; a new id passes', async () => {
    const guard = createReplayGuard({ maxEntries: 8 });
    const r = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
    await unpack(r.packed, { ...opts, replayGuard: guard, now: 100 });
    await expectCodeAsync(() => unpack(r.packed, { ...opts, replayGuard: guard, now: 101 }), 'didcomm.replayed');
    const again = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
    expect((await unpack(again.packed, { ...opts, replayGuard: guard, now: 102 })).metadata.authenticated).toBe(true);
    // Without a guard, nothing is remembered.
    await unpack(r.packed, opts);
    await unpack(r.packed, opts);
  });

  it('too large: refused before parsing (max_receive_bytes)', async () => {
    const r = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, resolver, secrets: alice.resolver });
    await expectCodeAsync(() => unpack(r.packed, { ...opts, maxBytes: r.packed.length - 1 }), 'didcomm.too_large');
    expect((await unpack(r.packed, { ...opts, maxBytes: r.packed.length })).message.from).toBe(alice.did);
    // Not JSON at all, but too large first: never parsed.
    await expectCodeAsync(() => unpack('{'.repeat(5000), { ...opts, maxBytes: 4096 }), 'didcomm.too_large');
    // Multi-byte characters count as their UTF-8 bytes.
    await expectCodeAsync(() => unpack(`"${'é'.repeat(600)}"`, { ...opts, maxBytes: 1100 }), 'didcomm.too_large');
    await expectCodeAsync(() => unpack(JSON.parse(r.packed), { ...opts, maxBytes: 100 }), 'didcomm.too_large');
  });
});

describe('nesting and shape', () => {
  it('authcrypt inside authcrypt, anoncrypt inside authcrypt, and a signature around a signature are refused', async () => {
    const inner = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
    const recipients = await keyAgreementKeys(resolver, bob.did);
    const sender = { kid: alice.secrets[1].id, secret: alice.secrets[1] };
    const authAuth = encryptJwe(utf8Encode(inner.packed), { alg: 'ECDH-1PU+A256KW', enc: 'A256CBC-HS512', recipients, sender });
    await expectCodeAsync(() => unpack(JSON.stringify(authAuth), opts), 'didcomm.malformed');
    const anon = await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, resolver, secrets: alice.resolver });
    const authAnon = encryptJwe(utf8Encode(anon.packed), { alg: 'ECDH-1PU+A256KW', enc: 'A256CBC-HS512', recipients, sender });
    await expectCodeAsync(() => unpack(JSON.stringify(authAnon), opts), 'didcomm.malformed');
    const signed = await packSigned(lunch(alice.did, [bob.did]), { signBy: alice.did, resolver, secrets: alice.resolver });
    const signedSigned = signJws(utf8Encode(signed.packed), alice.secrets[0]);
    await expectCodeAsync(() => unpack(JSON.stringify(signedSigned), opts), 'didcomm.malformed');
  });

  it('junk of every shape gets a typed error, never a crash', async () => {
    const good = JSON.parse((await packEncrypted(lunch(alice.did, [bob.did]), { to: bob.did, from: alice.did, resolver, secrets: alice.resolver })).packed);
    const hdr = (h: object) => base64urlEncode(utf8Encode(JSON.stringify(h)));
    const goodHeader = JSON.parse(utf8Decode(base64urlDecode(good.protected)));
    const junk: unknown[] = [
      'not json',
      '[]',
      'null',
      '1',
      '"text"',
      '{}',
      { ciphertext: 1 },
      { ...good, protected: 5 },
      { ...good, protected: '!!' },
      { ...good, protected: hdr([1]) },
      { ...good, protected: hdr({ ...goodHeader, alg: 'RSA-OAEP' }) },
      { ...good, protected: hdr({ ...goodHeader, enc: 'A128GCM' }) },
      { ...good, protected: hdr({ ...goodHeader, epk: { kty: 'OKP', crv: 'Ed448', x: 'AA' } }) },
      { ...good, protected: hdr({ ...goodHeader, epk: 'x' }) },
      { ...good, protected: hdr({ ...goodHeader, epk: { kty: 'OKP', crv: 'X25519', x: base64urlEncode(new Uint8Array(32)) } }) },
      { ...good, protected: hdr({ ...goodHeader, skid: undefined, apu: undefined }) },
      { ...good, protected: hdr({ ...goodHeader, apv: undefined }) },
      { ...good, recipients: [] },
      { ...good, recipients: [{}] },
      { ...good, recipients: [good.recipients[0], good.recipients[0]] },
      { ...good, iv: 'AAAA' },
      { ...good, tag: undefined },
      { ...good, ciphertext: 'A' },
      { payload: 'e30', signatures: 'x' },
      { payload: 'e30', signatures: [] },
      { payload: 'e30', signatures: [{ protected: hdr({ alg: 'none' }), signature: '' }] },
      { payload: 'e30', signatures: [{ protected: hdr({ alg: 'EdDSA' }), signature: '' }] },
      { payload: '!', signature: 'AA', protected: hdr({ alg: 'EdDSA', kid: `${alice.did}#sign-ed25519-1` }) },
      { id: 1, type: 'x', body: {} },
      { id: 'x', type: 'y', body: [] },
      { id: 'x', type: 'y', to: 'did:example:bob' },
      { id: 'x', type: 'y', from: 'did:example:alice#key' },
      { id: 'x', type: 'y', expires_time: -1 },
      { id: 'x', type: 'y', attachments: [{ data: {} }] },
      [1, 2],
      null,
      42,
    ];
    for (const j of junk) {
      const code = await codeOf(j as string | object);
      expect(code, String(JSON.stringify(j)).slice(0, 80)).toMatch(/^didcomm\./);
    }
  });

  it('a plaintext message round-trips through unpack unchanged', async () => {
    const m = lunch(alice.did, [bob.did]);
    expect((await unpack(packPlaintext(m), opts)).message).toEqual({ ...m, typ: MEDIA_TYPE_PLAIN });
  });
});
