/**
 * The draft's examples (draft-ietf-suit-manifest-37 Appendix, copied to
 * shared/vectors/suit): every envelope parses, re-encodes to the same
 * manifest bytes, its digest matches and its ES256 signature verifies with
 * the published example key; tampering breaks verification.
 */
import { describe, expect, it } from 'vitest';
import { expectCode, expectCodeAsync } from '../../tests/support/assert.ts';
import { readVectorJson, readVectorText } from '../../tests/support/vectors.ts';
import type { PublicKey } from '../did/keys.ts';
import { normalizePublicKey } from '../did/keys.ts';
import { base64Decode } from '../encoding/base64url.ts';
import { bytesToHex, equalBytes, hexToBytes } from '../encoding/bytes.ts';
import { decodeEnvelope, verifyEnvelope } from './envelope.ts';
import { inspectEnvelope } from './inspect.ts';
import { encodeSuitManifest, isSevered, parseManifest } from './manifest.ts';
import { firmwareTarget } from './target.ts';
import { bytesToUuid } from './uuid.ts';

/** SubjectPublicKeyInfo prefix of an uncompressed P-256 key (RFC 5480). */
const P256_SPKI_PREFIX = '3059301306072a8648ce3d020106082a8648ce3d030107034200';

function exampleKey(): PublicKey {
  const pem = readVectorText('suit/test-signing-key-public.pem');
  const der = base64Decode(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''));
  expect(bytesToHex(der.subarray(0, P256_SPKI_PREFIX.length / 2))).toBe(P256_SPKI_PREFIX);
  return { kind: 'P-256', bytes: normalizePublicKey('P-256', der.subarray(P256_SPKI_PREFIX.length / 2)) };
}

interface VectorIndex {
  examples: { name: string; [k: string]: unknown }[];
}

/** Every hex envelope listed in vectors.json: [label, hex, signed?]. */
function envelopes(): [string, string, boolean][] {
  const index = readVectorJson<VectorIndex>('suit/vectors.json');
  const out: [string, string, boolean][] = [];
  for (const ex of index.examples) {
    for (const [k, v] of Object.entries(ex)) {
      if (typeof v !== 'string' || k.endsWith('File') || k === 'name' || k === 'inputJson' || k === 'diagAndHexText') continue;
      if (!/^[0-9a-f]+$/.test(v)) continue;
      out.push([`${ex.name} ${k}`, v, !/WithoutAuth/.test(k)]);
    }
  }
  return out;
}

const VENDOR = 'fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe';
const CLASS = '1492af14-2569-5e48-bf42-9b2d51f2ab45';

describe('SUIT examples (draft-ietf-suit-manifest-37)', () => {
  const all = envelopes();

  it('lists the 7 signed and 6 unsigned envelopes', () => {
    expect(all.filter((e) => e[2])).toHaveLength(7);
    expect(all.filter((e) => !e[2])).toHaveLength(6);
  });

  for (const [label, hex, signed] of all) {
    it(`${label}: decodes, digest matches, manifest re-encodes byte for byte`, () => {
      const bytes = hexToBytes(hex);
      const env = decodeEnvelope(bytes);
      expect(env.digestMatches).toBe(true);
      expect(env.authentication.blocks).toHaveLength(signed ? 1 : 0);
      expect(env.manifest.version).toBe(1);
      expect(equalBytes(encodeSuitManifest(parseManifest(env.manifestBytes)), env.manifestBytes)).toBe(true);
    });

    if (signed) {
      it(`${label}: ES256 signature verifies with the example key`, async () => {
        const key = exampleKey();
        const v = await verifyEnvelope(hexToBytes(hex), { publicKeyFor: () => key });
        expect(v.signer.alg).toBe('ES256');
        expect(v.signer.kid).toBeUndefined();
      });

      it(`${label}: a flipped signature bit is refused`, async () => {
        const bytes = hexToBytes(hex);
        const env = decodeEnvelope(bytes);
        const sig = env.authentication.blocks[0].signature;
        // the signature's last byte sits at a unique place in the envelope
        const at = indexOf(bytes, sig) + sig.length - 1;
        bytes[at] ^= 1;
        await expectCodeAsync(() => verifyEnvelope(bytes, { publicKeyFor: () => exampleKey() }), 'firmware.bad_signature');
      });
    } else {
      it(`${label}: without an authentication block it is refused`, async () => {
        await expectCodeAsync(() => verifyEnvelope(hexToBytes(hex), { publicKeyFor: () => exampleKey() }), 'firmware.unsigned');
      });
    }
  }

  it('example0: fields as the diagnostic notation shows them; no fetch, so not an update for the profile', () => {
    const env = decodeEnvelope(hexToBytes(readVectorText('suit/example0-signed.hex').trim()));
    expect(env.manifest.sequenceNumber).toBe(0);
    const [override, vendorCond, classCond] = env.manifest.sharedSequence!;
    expect(vendorCond.name).toBe('condition-vendor-identifier');
    expect(classCond.name).toBe('condition-class-identifier');
    if (override.type !== 'parameters') throw new Error('expected override-parameters first');
    const p = override.parameters;
    expect(bytesToUuid(p.vendorId!)).toBe(VENDOR);
    expect(bytesToUuid(p.classId!)).toBe(CLASS);
    expect(p.imageSize).toBe(34768);
    expect(bytesToHex(p.imageDigest!.bytes)).toBe('00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210');
    expect(env.manifest.invoke![0].name).toBe('directive-invoke');
    expectCode(() => firmwareTarget(env.manifest), 'firmware.invalid_manifest');
  });

  it('example1: the single-image profile reads vendor, class, digest, size and URI', () => {
    const env = decodeEnvelope(hexToBytes(readVectorText('suit/example1-signed.hex').trim()));
    const t = firmwareTarget(env.manifest);
    expect(t.sequenceNumber).toBe(1);
    expect(t.uri).toBe('http://example.com/file.bin');
    expect(t.size).toBe(34768);
    expect(t.digest.algorithm).toBe('sha-256');
  });

  it('example2: severed members stay digests; the full envelope fills them in after checking the digests', () => {
    const severed = decodeEnvelope(hexToBytes(readVectorText('suit/example2-severed-signed.hex').trim()));
    expect(isSevered(severed.manifest.install)).toBe(true);
    expect(isSevered(severed.manifest.text)).toBe(true);
    const full = decodeEnvelope(hexToBytes(readVectorText('suit/example2-signed.hex').trim()));
    expect(isSevered(full.manifest.install)).toBe(false);
    expect(full.manifest.referenceUri).toBe('https://git.io/JJYoj');
    const text = full.manifest.text as Record<string, { fields: Record<string, string>; components: { fields: Record<string, string> }[] }>;
    expect(text['en-US'].fields['manifest-description']).toMatch(/^## Example 2/);
    expect(text['en-US'].components[0].fields['vendor-domain']).toBe('arm.com');
    expect(firmwareTarget(full.manifest).uri).toBe('http://example.com/very/long/path/to/file/file.bin');
  });

  it('example2: a severable member that does not match its digest is refused', () => {
    const bytes = hexToBytes(readVectorText('suit/example2-signed.hex').trim());
    // a byte inside the text member ("...demonstration" -> "...demonstratioN")
    const at = bytes.length - 30;
    bytes[at] ^= 0x20;
    expectCode(() => decodeEnvelope(bytes), 'firmware.severable_mismatch');
  });

  it('examples 3-5: multi-component and try-each manifests parse and fall outside the single-image profile', () => {
    for (const n of [3, 4, 5]) {
      const env = decodeEnvelope(hexToBytes(readVectorText(`suit/example${n}-signed.hex`).trim()));
      expectCode(() => firmwareTarget(env.manifest), 'firmware.unsupported');
    }
    const ex3 = decodeEnvelope(hexToBytes(readVectorText('suit/example3-signed.hex').trim()));
    const tryEach = ex3.manifest.sharedSequence!.find((c) => c.type === 'try-each');
    expect(tryEach && tryEach.type === 'try-each' ? tryEach.sequences.length : 0).toBe(2);
    const ex4 = decodeEnvelope(hexToBytes(readVectorText('suit/example4-signed.hex').trim()));
    expect(ex4.manifest.components).toHaveLength(3);
  });

  it('inspect names every label and shows UUIDs as text', () => {
    const env = decodeEnvelope(hexToBytes(readVectorText('suit/example1-signed.hex').trim()));
    const view = inspectEnvelope(env) as Record<string, any>;
    expect(view.authentication.digestMatches).toBe(true);
    expect(view.authentication.signatures[0].alg).toBe('ES256');
    expect(view.manifest['manifest-sequence-number']).toBe(1);
    const shared = view.manifest.common['shared-sequence'];
    expect(shared[0].command).toBe('directive-override-parameters');
    expect(shared[0].parameters['vendor-id']).toBe(VENDOR);
    expect(shared[1].command).toBe('condition-vendor-identifier');
    expect(view.image.uri).toBe('http://example.com/file.bin');
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });
});

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
