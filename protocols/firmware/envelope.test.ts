/**
 * Our own envelopes: encodeManifest -> signEnvelope (EdDSA, ES256, both) ->
 * decode/verify round trips with a DID URL kid, and every way a hostile
 * sender can break an envelope: wrong key, tampered manifest, malformed,
 * non-deterministic, oversized or too deeply nested CBOR, unsupported
 * structures.
 */
import { describe, expect, it } from 'vitest';
import { expectCode, expectCodeAsync } from '../../tests/support/assert.ts';
import { getCrypto } from '../crypto/index.ts';
import type { PublicKey } from '../did/keys.ts';
import { bytesToHex, equalBytes, utf8Encode } from '../encoding/bytes.ts';
import { cborDecode, cborEncode, cborEncodeDeterministic, CborTag } from '../encoding/cbor.ts';
import { cmd } from './commands.ts';
import { ed25519CoseSigner, es256CoseSigner } from './cose-sign1.ts';
import { decodeEnvelope, ENVELOPE_DEFAULT_MAX_BYTES, manifestDigest, signEnvelope, verifyEnvelope } from './envelope.ts';
import { inspectEnvelope } from './inspect.ts';
import { CMD } from './labels.ts';
import { buildManifest, encodeManifest, encodeSuitManifest, parseManifest } from './manifest.ts';
import { firmwareTarget } from './target.ts';
import { bytesToUuid } from './uuid.ts';

const VENDOR = '2f8e0b7a-6c1d-5e3f-9a4b-1c2d3e4f5a6b';
const CLASS = '8d7c6b5a-4f3e-5d2c-8b1a-0f9e8d7c6b5a';
const KID = 'did:webvh:QmExampleScid:firmware.example.com#key-1';
const seed = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const edPub: PublicKey = { kind: 'Ed25519', bytes: getCrypto().ed25519PublicKey(seed) };
const p256Priv = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0x11 : i));
const p256Pub: PublicKey = { kind: 'P-256', bytes: getCrypto().p256PublicKey(p256Priv, true) };
const image = utf8Encode('firmware image v7 '.repeat(50));
const input = {
  sequenceNumber: 7,
  vendorId: VENDOR,
  classId: CLASS,
  image: { digest: getCrypto().sha256(image), size: image.length },
  uri: 'https://firmware.example.com/grinder/7.bin',
};

async function signed(): Promise<Uint8Array> {
  return signEnvelope(encodeManifest(input), ed25519CoseSigner(seed, KID));
}

describe('encodeManifest', () => {
  it('is deterministic CBOR and parses back to the same target', () => {
    const bytes = encodeManifest(input);
    expect(equalBytes(cborEncodeDeterministic(cborDecode(bytes, { maps: 'map' })), bytes)).toBe(true);
    const t = firmwareTarget(parseManifest(bytes));
    expect(t.sequenceNumber).toBe(7);
    expect(bytesToUuid(t.vendorId)).toBe(VENDOR);
    expect(bytesToUuid(t.classId)).toBe(CLASS);
    expect(t.size).toBe(image.length);
    expect(equalBytes(t.digest.bytes, input.image.digest)).toBe(true);
    expect(t.uri).toBe(input.uri);
  });

  it('follows the draft example 1 layout (install = override uri, fetch, image-match)', () => {
    const m = parseManifest(encodeManifest(input));
    const install = m.install as { name: string }[];
    expect(install.map((c) => c.name)).toEqual(['directive-override-parameters', 'directive-fetch', 'condition-image-match']);
    expect(m.validate!.map((c) => c.name)).toEqual(['condition-image-match']);
    expect(m.invoke!.map((c) => c.name)).toEqual(['directive-invoke']);
    expect(m.sharedSequence!.map((c) => c.name)).toEqual(['directive-override-parameters', 'condition-vendor-identifier', 'condition-class-identifier']);
  });

  it('refuses bad inputs with typed errors', () => {
    expectCode(() => encodeManifest({ ...input, vendorId: 'not-a-uuid' }), 'firmware.invalid_uuid');
    expectCode(() => encodeManifest({ ...input, sequenceNumber: -1 }), 'firmware.invalid_manifest');
    expectCode(() => encodeManifest({ ...input, image: { digest: new Uint8Array(31), size: 1 } }), 'firmware.invalid_manifest');
    expectCode(() => encodeManifest({ ...input, uri: '' }), 'firmware.invalid_manifest');
  });
});

describe('signEnvelope / verifyEnvelope', () => {
  it('EdDSA: the kid is the DID URL, in the protected header, and verifies', async () => {
    const env = await signed();
    const decoded = decodeEnvelope(env);
    expect(decoded.digestMatches).toBe(true);
    expect(decoded.authentication.blocks[0].kid).toBe(KID);
    const prot = cborDecode(decoded.authentication.blocks[0].protectedBytes, { maps: 'map' }) as Map<number, unknown>;
    expect(prot.get(1)).toBe(-8);
    expect(equalBytes(prot.get(4) as Uint8Array, utf8Encode(KID))).toBe(true);
    const kids: (string | undefined)[] = [];
    const v = await verifyEnvelope(env, { publicKeyFor: (kid) => (kids.push(kid), edPub) });
    expect(kids).toEqual([KID]);
    expect(v.signer.alg).toBe('EdDSA');
    expect(v.manifest.sequenceNumber).toBe(7);
  });

  it('the wrapper digest is SHA-256 over the bstr-wrapped manifest', async () => {
    const decoded = decodeEnvelope(await signed());
    const d = manifestDigest(decoded.manifestBytes);
    expect(bytesToHex(d.bytes)).toBe(bytesToHex(getCrypto().sha256(cborEncode(decoded.manifestBytes))));
    expect(equalBytes(decoded.authentication.digest.bytes, d.bytes)).toBe(true);
  });

  it('ES256 and EdDSA together: each known key must verify', async () => {
    const env = await signEnvelope(encodeManifest(input), [es256CoseSigner(p256Priv, 'did:example:m#p256'), ed25519CoseSigner(seed, KID)]);
    const keys: Record<string, PublicKey> = { 'did:example:m#p256': p256Pub, [KID]: edPub };
    const v = await verifyEnvelope(env, { publicKeyFor: (kid) => keys[kid!] });
    expect(v.signer.alg).toBe('ES256');
    // only the EdDSA key known: the ES256 block is skipped
    const v2 = await verifyEnvelope(env, { publicKeyFor: (kid) => (kid === KID ? edPub : undefined) });
    expect(v2.signer.kid).toBe(KID);
    // a known key that does not match its block fails the whole envelope
    await expectCodeAsync(() => verifyEnvelope(env, { publicKeyFor: (kid) => (kid === KID ? edPub : { kind: 'P-256', bytes: getCrypto().p256PublicKey(seed, true) }) }), 'firmware.bad_signature');
  });

  it('refuses a wrong key, an unknown key, a key of the wrong type', async () => {
    const env = await signed();
    const other: PublicKey = { kind: 'Ed25519', bytes: getCrypto().ed25519PublicKey(new Uint8Array(32).fill(9)) };
    await expectCodeAsync(() => verifyEnvelope(env, { publicKeyFor: () => other }), 'firmware.bad_signature');
    await expectCodeAsync(() => verifyEnvelope(env, { publicKeyFor: () => undefined }), 'firmware.unknown_key');
    await expectCodeAsync(() => verifyEnvelope(env, { publicKeyFor: () => p256Pub }), 'firmware.key_mismatch');
  });

  it('a lookup that throws refuses the envelope with its own error', async () => {
    const env = await signed();
    const refuse = () => {
      throw Object.assign(new Error('not authorized'), { code: 'firmware.key_not_authorized' });
    };
    await expectCodeAsync(() => verifyEnvelope(env, { publicKeyFor: refuse }), 'firmware.key_not_authorized');
  });

  it('a manifest swapped under a valid authentication wrapper is refused before parsing', async () => {
    const a = decodeEnvelope(await signed());
    const otherManifest = encodeManifest({ ...input, sequenceNumber: 8 });
    const forged = cborEncodeDeterministic(new CborTag(new Map<number, unknown>([[2, cborEncodeDeterministic([a.authentication.digestBytes, ...authBlocks(a)])], [3, otherManifest]]), 107));
    await expectCodeAsync(() => verifyEnvelope(forged, { publicKeyFor: () => edPub }), 'firmware.digest_mismatch');
  });

  it('a digest recomputed for a swapped manifest breaks the signature', async () => {
    const a = decodeEnvelope(await signed());
    const otherManifest = encodeManifest({ ...input, sequenceNumber: 8 });
    const digest = cborEncodeDeterministic([-16, manifestDigest(otherManifest).bytes]);
    const forged = cborEncodeDeterministic(new CborTag(new Map<number, unknown>([[2, cborEncodeDeterministic([digest, ...authBlocks(a)])], [3, otherManifest]]), 107));
    await expectCodeAsync(() => verifyEnvelope(forged, { publicKeyFor: () => edPub }), 'firmware.bad_signature');
  });

  it('inspect shows the kid and the image', async () => {
    const view = inspectEnvelope(decodeEnvelope(await signed())) as Record<string, any>;
    expect(view.authentication.signatures[0].kid).toBe(KID);
    expect(view.image.size).toBe(image.length);
    expect(view.image.vendorId).toBe(VENDOR);
  });
});

/** The original COSE blocks, bstr-wrapped again. */
function authBlocks(env: ReturnType<typeof decodeEnvelope>): Uint8Array[] {
  return env.authentication.blocks.map((b) =>
    cborEncodeDeterministic(new CborTag([b.protectedBytes, new Map(), null, b.signature], 18)),
  );
}

describe('decodeEnvelope: hostile input', () => {
  it('oversized input is refused before decoding', async () => {
    expectCode(() => decodeEnvelope(new Uint8Array(ENVELOPE_DEFAULT_MAX_BYTES + 1)), 'firmware.too_large');
    const env = await signed();
    expectCode(() => decodeEnvelope(env, { maxBytes: env.length - 1 }), 'firmware.too_large');
    expect(decodeEnvelope(env, { maxBytes: env.length }).manifest.sequenceNumber).toBe(7);
  });

  it('every truncation of a valid envelope is a typed error', async () => {
    const env = await signed();
    for (let n = 0; n < env.length; n += 7) expectCode(() => decodeEnvelope(env.subarray(0, n)), 'firmware.malformed');
  });

  it('trailing bytes, wrong tag, not a map, missing members', async () => {
    const env = await signed();
    const withTrailer = new Uint8Array(env.length + 1);
    withTrailer.set(env);
    expectCode(() => decodeEnvelope(withTrailer), 'firmware.malformed');
    const d = decodeEnvelope(env);
    const auth = cborEncodeDeterministic([d.authentication.digestBytes, ...authBlocks(d)]);
    const mk = (v: unknown) => cborEncodeDeterministic(v);
    expectCode(() => decodeEnvelope(mk(new CborTag(new Map<number, unknown>([[2, auth], [3, d.manifestBytes]]), 108))), 'firmware.malformed');
    expectCode(() => decodeEnvelope(mk(new Map<number, unknown>([[2, auth], [3, d.manifestBytes]]))), 'firmware.malformed');
    expectCode(() => decodeEnvelope(mk(new CborTag([auth, d.manifestBytes], 107))), 'firmware.malformed');
    expectCode(() => decodeEnvelope(mk(new CborTag(new Map<number, unknown>([[2, auth]]), 107))), 'firmware.malformed');
    expectCode(() => decodeEnvelope(mk(new CborTag(new Map<number, unknown>([[3, d.manifestBytes]]), 107))), 'firmware.malformed');
    expectCode(() => decodeEnvelope(mk(new CborTag(new Map<number, unknown>([[2, auth], [3, cborDecode(d.manifestBytes, { maps: 'map' })]]), 107))), 'firmware.malformed');
  });

  it('non-deterministic encodings are refused (unsorted keys, long-form integers, indefinite lengths)', async () => {
    const d = decodeEnvelope(await signed());
    const auth = cborEncodeDeterministic([d.authentication.digestBytes, ...authBlocks(d)]);
    // map with key 3 before key 2 (insertion order encoder)
    const unsorted = cborEncode(new CborTag(new Map<number, unknown>([[3, d.manifestBytes], [2, auth]]), 107));
    expectCode(() => decodeEnvelope(unsorted), 'firmware.malformed');
    // manifest version written as a two-byte integer: 0x18 0x01
    const m = d.manifestBytes.slice();
    expect(m[1]).toBe(0x01);
    const longForm = new Uint8Array([m[0], 0x01, 0x18, 0x01, ...m.subarray(3)]);
    expectCode(() => parseManifest(longForm), 'firmware.malformed');
    // indefinite-length array as the envelope's auth wrapper
    expectCode(() => decodeEnvelope(new Uint8Array([0xd8, 0x6b, 0xa1, 0x02, 0x9f, 0xff])), 'firmware.malformed');
  });

  it('deeply nested CBOR is refused, not a stack overflow', () => {
    const deep = new Uint8Array(400).fill(0x81);
    expectCode(() => decodeEnvelope(deep), 'firmware.malformed');
    let seq: Uint8Array = cborEncodeDeterministic([CMD.vendorIdentifier, 15]);
    for (let i = 0; i < 8; i++) seq = cborEncodeDeterministic([CMD.runSequence, seq]);
    const m = cborDecode(encodeManifest(input), { maps: 'map' }) as Map<number, unknown>;
    m.set(7, seq);
    expectCode(() => parseManifest(cborEncodeDeterministic(m)), 'firmware.malformed');
  });

  it('wrong CDDL types and unsupported structures', () => {
    const base = () => cborDecode(encodeManifest(input), { maps: 'map' }) as Map<number, unknown>;
    const with_ = (k: number, v: unknown) => {
      const m = base();
      m.set(k, v);
      return cborEncodeDeterministic(m);
    };
    expectCode(() => parseManifest(with_(1, 2)), 'firmware.unsupported');
    expectCode(() => parseManifest(with_(2, -1)), 'firmware.malformed');
    expectCode(() => parseManifest(with_(2, 2n ** 64n)), 'firmware.unsupported');
    expectCode(() => parseManifest(with_(4, utf8Encode('x'))), 'firmware.malformed');
    expectCode(() => parseManifest(with_(7, cborEncodeDeterministic([99, 15]))), 'firmware.unsupported');
    expectCode(() => parseManifest(with_(7, cborEncodeDeterministic([3]))), 'firmware.malformed');
    expectCode(() => parseManifest(with_(7, cborEncodeDeterministic([3, 'x']))), 'firmware.malformed');
    expectCode(() => parseManifest(with_(7, cborEncodeDeterministic([20, new Map([[1, new Uint8Array(15)]])]))), 'firmware.malformed');
    expectCode(() => parseManifest(with_(7, cborEncodeDeterministic([20, new Map([[3, cborEncodeDeterministic([-16, new Uint8Array(31)])]])]))), 'firmware.malformed');
    expectCode(() => parseManifest(with_(7, cborEncodeDeterministic([20, new Map([[3, cborEncodeDeterministic([-18, new Uint8Array(32)])]])]))), 'firmware.unsupported_algorithm');
    expectCode(() => parseManifest(cborEncodeDeterministic([1, 2])), 'firmware.malformed');
    // custom commands are kept, and are outside the updater profile
    const custom = parseManifest(with_(7, cborEncodeDeterministic([-5, 'x'])));
    expect(custom.validate![0].type).toBe('custom');
  });

  it('a COSE block with a payload, a crit header or an unknown algorithm is refused', async () => {
    const d = decodeEnvelope(await signed());
    const b = d.authentication.blocks[0];
    const envWith = (block: unknown) =>
      cborEncodeDeterministic(new CborTag(new Map<number, unknown>([[2, cborEncodeDeterministic([d.authentication.digestBytes, cborEncodeDeterministic(block)])], [3, d.manifestBytes]]), 107));
    expectCode(() => decodeEnvelope(envWith(new CborTag([b.protectedBytes, new Map(), d.authentication.digestBytes, b.signature], 18))), 'firmware.malformed');
    const critHeader = cborEncodeDeterministic(new Map<number, unknown>([[1, -8], [2, [99]]]));
    expectCode(() => decodeEnvelope(envWith(new CborTag([critHeader, new Map(), null, b.signature], 18))), 'firmware.unsupported');
    const rs256 = cborEncodeDeterministic(new Map<number, unknown>([[1, -257]]));
    expectCode(() => decodeEnvelope(envWith(new CborTag([rs256, new Map(), null, b.signature], 18))), 'firmware.unsupported_algorithm');
    expectCode(() => decodeEnvelope(envWith(new CborTag([b.protectedBytes, new Map(), null, b.signature.subarray(1)], 18))), 'firmware.malformed');
    expectCode(() => decodeEnvelope(envWith(new CborTag([b.protectedBytes, new Map([[4, utf8Encode('x')]]), null, b.signature], 18))), 'firmware.malformed');
    expectCode(() => decodeEnvelope(envWith(new CborTag([b.protectedBytes, new Map(), null, b.signature], 17))), 'firmware.unsupported');
  });

  it('the single-image profile refuses what it cannot install', () => {
    const m = buildManifest(input);
    expectCode(() => firmwareTarget({ ...m, components: [[new Uint8Array([0])], [new Uint8Array([1])]] }), 'firmware.unsupported');
    expectCode(() => firmwareTarget({ ...m, sharedSequence: m.sharedSequence!.slice(0, 2) }), 'firmware.invalid_manifest');
    expectCode(() => firmwareTarget({ ...m, sharedSequence: [m.sharedSequence![0], cmd.policy(CMD.classIdentifier)] }), 'firmware.invalid_manifest');
    expectCode(() => firmwareTarget({ ...m, install: [cmd.policy(CMD.fetch, 2)] }), 'firmware.invalid_manifest');
    expectCode(() => firmwareTarget({ ...m, install: [...(m.install as never[]), cmd.policy(CMD.copy, 2)] }), 'firmware.unsupported');
    expectCode(() => firmwareTarget({ ...m, install: { severed: { algorithm: 'sha-256', bytes: new Uint8Array(32) } } }), 'firmware.unsupported');
    expect(firmwareTarget(parseManifest(encodeSuitManifest(m))).uri).toBe(input.uri);
  });
});
