/**
 * Every DIDComm Messaging v2.1 Appendix C example (shared/vectors/didcomm)
 * unpacks as Bob, with the metadata its construction implies. Runs in Node
 * and in XS.
 *
 * The appendix messages expired in 2018 (expires_time 1516385931), so they
 * are unpacked at `now` = created_time + 78 s; a separate case checks that
 * at today's time they are refused as expired.
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { appendixParties } from '../../tests/support/didcomm.ts';
import { listVectors, readVectorJson, readVectorText } from '../../tests/support/vectors.ts';
import { resetPublicKeyOps, publicKeyOps } from './pkops.ts';
import { unpack, type UnpackMetadata } from './unpack.ts';

const NOW = 1516269100;
const { alice, bob, resolver } = appendixParties();
const plaintext = readVectorJson<Record<string, unknown>>('didcomm/plaintext.json');

const BOB_X25519 = ['did:example:bob#key-x25519-1', 'did:example:bob#key-x25519-2', 'did:example:bob#key-x25519-3'];
const BOB_P256 = ['did:example:bob#key-p256-1', 'did:example:bob#key-p256-2'];
const BOB_P384 = ['did:example:bob#key-p384-1', 'did:example:bob#key-p384-2'];
const BOB_P521 = ['did:example:bob#key-p521-1', 'did:example:bob#key-p521-2'];

const NONE = { encrypted: false, authenticated: false, non_repudiation: false, anonymous_sender: false, re_wrapped_in_forward: false };

/** What each vector must yield: metadata (minus signed_message) and the public-key operations Bob spends. */
const EXPECTED: Record<string, { metadata: Partial<UnpackMetadata>; ecdh: number; verify: number }> = {
  'plaintext.json': { metadata: NONE, ecdh: 0, verify: 0 },
  'signed-eddsa-ed25519.json': {
    metadata: { ...NONE, authenticated: true, non_repudiation: true, sign_from: 'did:example:alice#key-1', sign_alg: 'EdDSA' },
    ecdh: 0,
    verify: 1,
  },
  'signed-es256-p256.json': {
    metadata: { ...NONE, authenticated: true, non_repudiation: true, sign_from: 'did:example:alice#key-2', sign_alg: 'ES256' },
    ecdh: 0,
    verify: 1,
  },
  'signed-es256k-secp256k1.json': {
    metadata: { ...NONE, authenticated: true, non_repudiation: true, sign_from: 'did:example:alice#key-3', sign_alg: 'ES256K' },
    ecdh: 0,
    verify: 1,
  },
  'encrypted-anoncrypt-ecdh-es-x25519-xc20p.json': {
    metadata: { ...NONE, encrypted: true, anonymous_sender: true, encrypted_to_kids: BOB_X25519, enc_alg_anon: 'XC20P' },
    ecdh: 1,
    verify: 0,
  },
  'encrypted-anoncrypt-ecdh-es-p384-a256cbc-hs512.json': {
    metadata: { ...NONE, encrypted: true, anonymous_sender: true, encrypted_to_kids: BOB_P384, enc_alg_anon: 'A256CBC-HS512' },
    ecdh: 1,
    verify: 0,
  },
  'encrypted-anoncrypt-ecdh-es-p521-a256gcm.json': {
    metadata: { ...NONE, encrypted: true, anonymous_sender: true, encrypted_to_kids: BOB_P521, enc_alg_anon: 'A256GCM' },
    ecdh: 1,
    verify: 0,
  },
  'encrypted-authcrypt-ecdh-1pu-x25519-a256cbc-hs512.json': {
    metadata: {
      ...NONE,
      encrypted: true,
      authenticated: true,
      encrypted_to_kids: BOB_X25519,
      encrypted_from_kid: 'did:example:alice#key-x25519-1',
      enc_alg_auth: 'A256CBC-HS512',
    },
    ecdh: 2,
    verify: 0,
  },
  'encrypted-signed-authcrypt-ecdh-1pu-p256-a256cbc-hs512.json': {
    metadata: {
      ...NONE,
      encrypted: true,
      authenticated: true,
      non_repudiation: true,
      encrypted_to_kids: BOB_P256,
      encrypted_from_kid: 'did:example:alice#key-p256-1',
      enc_alg_auth: 'A256CBC-HS512',
      sign_from: 'did:example:alice#key-1',
      sign_alg: 'EdDSA',
    },
    ecdh: 2,
    verify: 1,
  },
  'encrypted-signed-authcrypt-then-anoncrypt-ecdh-es-p521-xc20p.json': {
    metadata: {
      ...NONE,
      encrypted: true,
      authenticated: true,
      non_repudiation: true,
      anonymous_sender: true,
      encrypted_to_kids: BOB_P521,
      encrypted_from_kid: 'did:example:alice#key-p521-1',
      enc_alg_auth: 'A256CBC-HS512',
      enc_alg_anon: 'XC20P',
      sign_from: 'did:example:alice#key-1',
      sign_alg: 'EdDSA',
    },
    ecdh: 3,
    verify: 1,
  },
};

describe('DIDComm v2.1 Appendix C vectors, unpacked as Bob', () => {
  it('covers every example file in the vector folder', () => {
    const files = listVectors('didcomm').filter((f) => f.endsWith('.json') && !f.includes('secrets') && !f.includes('did-doc'));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED)) {
    it(file, async () => {
      resetPublicKeyOps();
      const { message, metadata } = await unpack(readVectorText(`didcomm/${file}`), { resolver, secrets: bob.resolver, now: NOW, ecdhCache: null });
      const { signed_message, ...rest } = metadata;
      expect(rest).toEqual(want.metadata);
      expect(signed_message !== undefined).toBe(want.verify > 0);
      const ops = publicKeyOps();
      expect(ops.ecdh).toBe(want.ecdh);
      expect(ops.verify).toBe(want.verify);
      expect(ops.keygen + ops.sign).toBe(0);
      // C.1's plaintext, except what NOTES.md lists: signed payloads add `typ` and use an http:// type URI.
      expect(message.id).toBe(plaintext.id);
      expect(message.from).toBe('did:example:alice');
      expect(message.to).toEqual(['did:example:bob']);
      expect(message.created_time).toBe(1516269022);
      expect(message.expires_time).toBe(1516385931);
      expect(message.body).toEqual({ messagespecificattribute: 'and its value' });
      expect(message.type).toMatch(/^https?:\/\/example\.com\/protocols\/lets_do_lunch\/1\.0\/proposal$/);
      if (file === 'plaintext.json') expect(message).toEqual(plaintext);
    });
  }

  it('the signed_message kept for non-repudiation is the JWS itself', async () => {
    const text = readVectorText('didcomm/signed-eddsa-ed25519.json');
    const { metadata } = await unpack(text, { resolver, secrets: bob.resolver, now: NOW });
    expect(metadata.signed_message).toBe(text);
  });

  it('at the real current time the appendix messages have expired', async () => {
    await expectCodeAsync(() => unpack(readVectorText('didcomm/signed-eddsa-ed25519.json'), { resolver, secrets: bob.resolver }), 'didcomm.expired');
  });

  it('Alice, holding none of the recipient keys, cannot unpack what was encrypted to Bob', async () => {
    await expectCodeAsync(
      () => unpack(readVectorText('didcomm/encrypted-anoncrypt-ecdh-es-x25519-xc20p.json'), { resolver, secrets: alice.resolver, now: NOW }),
      'didcomm.unknown_recipient',
    );
  });

  it('expectDecryptByAllKeys decrypts with each of Bob\'s three X25519 keys and agrees', async () => {
    resetPublicKeyOps();
    const { metadata } = await unpack(readVectorText('didcomm/encrypted-authcrypt-ecdh-1pu-x25519-a256cbc-hs512.json'), {
      resolver,
      secrets: bob.resolver,
      now: NOW,
      expectDecryptByAllKeys: true,
      ecdhCache: null,
    });
    expect(metadata.encrypted_from_kid).toBe('did:example:alice#key-x25519-1');
    expect(publicKeyOps().ecdh).toBe(6);
  });
});
