/**
 * Pack then unpack across every mode and curve: plaintext, signed (EdDSA,
 * ES256, ES256K), anoncrypt (X25519/P-256/P-384/P-521 × A256CBC-HS512,
 * A256GCM, XC20P), authcrypt (each curve), several recipient keys,
 * anoncrypt(authcrypt), anoncrypt(signed), authcrypt(signed); and the
 * public-key operation counts of each envelope, including the static-static
 * ECDH cache. Runs in Node and XS (the whole matrix: about 3 s in XS).
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { lunch, makeParty, resolverOf, type Party } from '../../tests/support/didcomm.ts';
import type { KeyKind } from '../did/keys.ts';
import { base64urlDecode } from '../encoding/base64url.ts';
import { utf8Decode } from '../encoding/bytes.ts';
import { createEcdhCache } from './ecdh.ts';
import { CONTENT_ENCRYPTIONS } from './jwe.ts';
import { MEDIA_TYPE_ENCRYPTED, MEDIA_TYPE_PLAIN, MEDIA_TYPE_SIGNED } from './message.ts';
import { packEncrypted, packPlaintext, packSigned } from './pack.ts';
import { publicKeyOps, resetPublicKeyOps } from './pkops.ts';
import { createSecretsResolver } from './secrets.ts';
import { unpack } from './unpack.ts';

const CURVES: KeyKind[] = ['X25519', 'P-256', 'P-384', 'P-521'];

const alice = makeParty('alice', { agreement: CURVES, signing: ['Ed25519', 'P-256', 'secp256k1'] });
/** One Bob per curve, each with two keys on it: every JWE to him has two recipients. */
const bobs = new Map<KeyKind, Party>(CURVES.map((c) => [c, makeParty(`bob-${c.toLowerCase()}`, { agreement: [c, c] })]));
const carol = makeParty('carol', { agreement: ['X25519'] });
const resolver = resolverOf(alice, carol, ...bobs.values());
const bobX = bobs.get('X25519')!;

const header = (packed: string): Record<string, unknown> =>
  JSON.parse(utf8Decode(base64urlDecode((JSON.parse(packed) as { protected: string }).protected))) as Record<string, unknown>;

describe('plaintext and signed', () => {
  it('plaintext: typ is set, the message comes back unchanged', async () => {
    const m = lunch(alice.did, [bobX.did], { thid: 't-1', created_time: 1700000000 });
    const packed = packPlaintext(m);
    expect(JSON.parse(packed).typ).toBe(MEDIA_TYPE_PLAIN);
    const { message, metadata } = await unpack(packed, { resolver, secrets: bobX.resolver });
    expect(message).toEqual({ ...m, typ: MEDIA_TYPE_PLAIN });
    expect(metadata.encrypted || metadata.authenticated || metadata.non_repudiation).toBe(false);
  });

  for (const [kid, alg] of [
    ['sign-ed25519-1', 'EdDSA'],
    ['sign-p-256-1', 'ES256'],
    ['sign-secp256k1-1', 'ES256K'],
  ] as const) {
    it(`signed with ${alg}, general serialization, kid in both headers`, async () => {
      const m = lunch(alice.did, [bobX.did]);
      const { packed, signByKid } = await packSigned(m, { signBy: `${alice.did}#${kid}`, secrets: alice.resolver, resolver });
      expect(signByKid).toBe(`${alice.did}#${kid}`);
      const jws = JSON.parse(packed);
      expect(jws.signatures).toHaveLength(1);
      expect(jws.signatures[0].header.kid).toBe(signByKid);
      const prot = JSON.parse(utf8Decode(base64urlDecode(jws.signatures[0].protected)));
      expect(prot).toEqual({ typ: MEDIA_TYPE_SIGNED, alg, kid: signByKid });
      const { message, metadata } = await unpack(packed, { resolver, secrets: bobX.resolver });
      expect(message.body).toEqual(m.body);
      expect(metadata.sign_from).toBe(signByKid);
      expect(metadata.sign_alg).toBe(alg);
      expect(metadata.non_repudiation && metadata.authenticated).toBe(true);
      expect(metadata.encrypted).toBe(false);
    });
  }

  it('signBy a DID picks its first authentication key we hold', async () => {
    const { signByKid } = await packSigned(lunch(alice.did, undefined), { signBy: alice.did, secrets: alice.resolver, resolver });
    expect(signByKid).toBe(`${alice.did}#sign-ed25519-1`);
  });

  it('a flattened JWS is accepted as well', async () => {
    const { packed } = await packSigned(lunch(alice.did, undefined), { signBy: alice.did, secrets: alice.resolver, resolver });
    const g = JSON.parse(packed);
    const flat = { payload: g.payload, ...g.signatures[0] };
    const { metadata } = await unpack(JSON.stringify(flat), { resolver, secrets: bobX.resolver });
    expect(metadata.sign_from).toBe(`${alice.did}#sign-ed25519-1`);
  });
});

describe('encrypted, per curve', () => {
  for (const curve of CURVES) {
    const bob = bobs.get(curve)!;
    const kids = [`${bob.did}#ka-${curve.toLowerCase()}-1`, `${bob.did}#ka-${curve.toLowerCase()}-2`];

    it(`authcrypt ${curve}: ECDH-1PU+A256KW/A256CBC-HS512 to both of Bob's keys`, async () => {
      const m = lunch(alice.did, [bob.did]);
      const r = await packEncrypted(m, { to: bob.did, from: alice.did, resolver, secrets: alice.resolver });
      expect(r.toKids).toEqual(kids);
      expect(r.fromKid).toBe(`${alice.did}#ka-${curve.toLowerCase()}-1`);
      const h = header(r.packed);
      expect(h.alg).toBe('ECDH-1PU+A256KW');
      expect(h.enc).toBe('A256CBC-HS512');
      expect(h.typ).toBe(MEDIA_TYPE_ENCRYPTED);
      expect(h.skid).toBe(r.fromKid);
      expect((h.epk as { crv: string }).crv).toBe(curve);
      const { message, metadata } = await unpack(r.packed, { resolver, secrets: bob.resolver });
      expect(message).toEqual({ ...m, typ: MEDIA_TYPE_PLAIN });
      expect(metadata).toEqual({
        encrypted: true,
        authenticated: true,
        non_repudiation: false,
        anonymous_sender: false,
        re_wrapped_in_forward: false,
        encrypted_from_kid: r.fromKid,
        encrypted_to_kids: kids,
        enc_alg_auth: 'A256CBC-HS512',
      });
      // Each of Bob's devices (one key each) can open it on its own.
      for (const s of bob.secrets.filter((x) => x.id.includes('#ka-'))) {
        const one = await unpack(r.packed, { resolver, secrets: createSecretsResolver([s]) });
        expect(one.message.id).toBe(m.id);
      }
    });

    for (const enc of CONTENT_ENCRYPTIONS) {
      it(`anoncrypt ${curve} ECDH-ES+A256KW/${enc}`, async () => {
        const m = lunch(undefined, [bob.did]);
        const r = await packEncrypted(m, { to: bob.did, enc, resolver, secrets: alice.resolver });
        expect(r.toKids).toEqual(kids);
        expect(r.fromKid).toBeUndefined();
        const h = header(r.packed);
        expect([h.alg, h.enc, h.skid, h.apu]).toEqual(['ECDH-ES+A256KW', enc, undefined, undefined]);
        const { message, metadata } = await unpack(r.packed, { resolver, secrets: bob.resolver });
        expect(message.body).toEqual(m.body);
        expect(metadata.anonymous_sender && metadata.encrypted).toBe(true);
        expect(metadata.authenticated).toBe(false);
        expect(metadata.enc_alg_anon).toBe(enc);
      });
    }
  }

  it('to a DID URL encrypts to that one key only', async () => {
    const bob = bobs.get('P-256')!;
    const kid = `${bob.did}#ka-p-256-2`;
    const r = await packEncrypted(lunch(alice.did, [bob.did]), { to: kid, from: alice.did, resolver, secrets: alice.resolver });
    expect(r.toKids).toEqual([kid]);
    expect(JSON.parse(r.packed).recipients).toHaveLength(1);
    expect((await unpack(r.packed, { resolver, secrets: bob.resolver })).metadata.encrypted_to_kids).toEqual([kid]);
  });
});

describe('nested envelopes', () => {
  it('anoncrypt(authcrypt): the outer layer hides skid; both layers are reported', async () => {
    const m = lunch(alice.did, [bobX.did]);
    const r = await packEncrypted(m, { to: bobX.did, from: alice.did, protectSender: true, enc: 'XC20P', resolver, secrets: alice.resolver });
    const h = header(r.packed);
    expect([h.alg, h.enc, h.skid]).toEqual(['ECDH-ES+A256KW', 'XC20P', undefined]);
    expect(r.packed.includes(alice.did)).toBe(false);
    const { message, metadata } = await unpack(r.packed, { resolver, secrets: bobX.resolver });
    expect(message.id).toBe(m.id);
    expect(metadata.anonymous_sender && metadata.authenticated && metadata.encrypted).toBe(true);
    expect(metadata.encrypted_from_kid).toBe(`${alice.did}#ka-x25519-1`);
    expect([metadata.enc_alg_anon, metadata.enc_alg_auth]).toEqual(['XC20P', 'A256CBC-HS512']);
  });

  it('anoncrypt(signed): non-repudiation without revealing the sender outside', async () => {
    const m = lunch(alice.did, [bobX.did]);
    const r = await packEncrypted(m, { to: bobX.did, signBy: `${alice.did}#sign-p-256-1`, resolver, secrets: alice.resolver });
    expect(r.signByKid).toBe(`${alice.did}#sign-p-256-1`);
    const { metadata } = await unpack(r.packed, { resolver, secrets: bobX.resolver });
    expect(metadata.non_repudiation && metadata.anonymous_sender).toBe(true);
    expect(metadata.sign_from).toBe(r.signByKid);
    expect(JSON.parse(metadata.signed_message!).signatures[0].header.kid).toBe(r.signByKid);
  });

  it('authcrypt(signed) and anoncrypt(authcrypt(signed))', async () => {
    for (const protectSender of [false, true]) {
      const m = lunch(alice.did, [bobX.did]);
      const r = await packEncrypted(m, { to: bobX.did, from: alice.did, signBy: alice.did, protectSender, resolver, secrets: alice.resolver });
      const { metadata } = await unpack(r.packed, { resolver, secrets: bobX.resolver });
      expect([metadata.authenticated, metadata.non_repudiation, metadata.anonymous_sender]).toEqual([true, true, protectSender]);
      expect(metadata.sign_from).toBe(`${alice.did}#sign-ed25519-1`);
    }
  });

  it('the same plaintext to two recipients is two independent envelopes', async () => {
    const m = lunch(alice.did, [bobX.did, carol.did]);
    const toBob = await packEncrypted(m, { to: bobX.did, from: alice.did, resolver, secrets: alice.resolver });
    const toCarol = await packEncrypted(m, { to: carol.did, from: alice.did, resolver, secrets: alice.resolver });
    expect((await unpack(toBob.packed, { resolver, secrets: bobX.resolver })).message.to).toEqual([bobX.did, carol.did]);
    expect((await unpack(toCarol.packed, { resolver, secrets: carol.resolver })).message.id).toBe(m.id);
    await expectCodeAsync(() => unpack(toBob.packed, { resolver, secrets: carol.resolver }), 'didcomm.unknown_recipient');
  });
});

describe('pack refuses inconsistent requests', () => {
  it('to not in the message, from/signBy not of the message sender, authcrypt with another enc', async () => {
    const secrets = alice.resolver;
    await expectCodeAsync(() => packEncrypted(lunch(alice.did, [carol.did]), { to: bobX.did, resolver, secrets }), 'didcomm.invalid_argument');
    await expectCodeAsync(() => packEncrypted(lunch(carol.did, [bobX.did]), { to: bobX.did, from: alice.did, resolver, secrets }), 'didcomm.invalid_argument');
    await expectCodeAsync(() => packEncrypted(lunch(undefined, [bobX.did]), { to: bobX.did, from: alice.did, resolver, secrets }), 'didcomm.invalid_argument');
    await expectCodeAsync(() => packSigned(lunch(carol.did, undefined), { signBy: alice.did, resolver, secrets }), 'didcomm.invalid_argument');
    await expectCodeAsync(() => packEncrypted(lunch(alice.did, undefined), { to: bobX.did, from: alice.did, enc: 'XC20P', resolver, secrets }), 'didcomm.unsupported_alg');
    await expectCodeAsync(() => packEncrypted(lunch(alice.did, undefined), { to: bobX.did, from: alice.did, resolver, secrets: bobX.resolver }), 'didcomm.missing_secret');
    await expectCodeAsync(() => packEncrypted(lunch(carol.did, undefined), { to: bobs.get('P-384')!.did, from: carol.did, resolver, secrets: carol.resolver }), 'didcomm.no_compatible_keys');
    await expectCodeAsync(() => packEncrypted(lunch(undefined, undefined), { to: 'did:example:nobody', resolver, secrets }), 'didcomm.unknown_recipient');
  });
});

describe('public-key operations per envelope (one recipient key)', () => {
  const bob1 = makeParty('bob-one', { agreement: ['X25519'] });
  const r1 = resolverOf(alice, bob1);

  it('authcrypt: pack = 1 keygen + 2 ECDH, then 1 ECDH once the static-static result is cached; unpack the same', async () => {
    const senderCache = createEcdhCache(4);
    const receiverCache = createEcdhCache(4);
    const counts: number[][] = [];
    for (let i = 0; i < 3; i++) {
      resetPublicKeyOps();
      const r = await packEncrypted(lunch(alice.did, [bob1.did]), { to: bob1.did, from: alice.did, resolver: r1, secrets: alice.resolver, ecdhCache: senderCache });
      const p = publicKeyOps();
      resetPublicKeyOps();
      await unpack(r.packed, { resolver: r1, secrets: bob1.resolver, ecdhCache: receiverCache });
      const u = publicKeyOps();
      counts.push([p.keygen, p.ecdh, p.sign + p.verify, u.keygen, u.ecdh, u.sign + u.verify]);
    }
    expect(counts).toEqual([
      [1, 2, 0, 0, 2, 0],
      [1, 1, 0, 0, 1, 0],
      [1, 1, 0, 0, 1, 0],
    ]);
    expect(senderCache.size).toBe(1);
    expect(receiverCache.size).toBe(1);
  });

  it('anoncrypt: pack = 1 keygen + 1 ECDH, unpack = 1 ECDH; signed: 1 sign, 1 verify', async () => {
    resetPublicKeyOps();
    const r = await packEncrypted(lunch(undefined, [bob1.did]), { to: bob1.did, resolver: r1, secrets: alice.resolver });
    expect(publicKeyOps()).toEqual({ ecdh: 1, keygen: 1, sign: 0, verify: 0 });
    resetPublicKeyOps();
    await unpack(r.packed, { resolver: r1, secrets: bob1.resolver });
    expect(publicKeyOps()).toEqual({ ecdh: 1, keygen: 0, sign: 0, verify: 0 });
    resetPublicKeyOps();
    const s = await packSigned(lunch(alice.did, undefined), { signBy: alice.did, resolver: r1, secrets: alice.resolver });
    await unpack(s.packed, { resolver: r1, secrets: bob1.resolver });
    expect(publicKeyOps()).toEqual({ ecdh: 0, keygen: 0, sign: 1, verify: 1 });
  });

  it('the ECDH cache is an LRU bounded by its size', () => {
    const cache = createEcdhCache(2);
    cache.set('a', new Uint8Array([1]));
    cache.set('b', new Uint8Array([2]));
    expect(cache.get('a')).toEqual(new Uint8Array([1])); // a is now most recent
    cache.set('c', new Uint8Array([3]));
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    const none = createEcdhCache(0);
    none.set('x', new Uint8Array(1));
    expect(none.size).toBe(0);
  });
});
