import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../encoding/bytes.ts';
import { decodeMultikey } from '../encoding/multikey.ts';
import { isOpaqueKeyCodec, opaqueKeysFromCodec, opaqueKeyToJwk, opaqueKeyToMultikey } from './opaque-keys.ts';

const G1 = concatBytes(hexToBytes('a0'), new Uint8Array(47).fill(7));
const G2 = concatBytes(hexToBytes('b3'), new Uint8Array(95).fill(9));

describe('opaque (display-only) keys', () => {
  it('knows exactly the RSA and BLS12-381 public-key codecs', () => {
    for (const c of ['rsa-pub', 'bls12_381-g1-pub', 'bls12_381-g2-pub', 'bls12_381-g1g2-pub']) expect(isOpaqueKeyCodec(c)).toBe(true);
    for (const c of ['ed25519-pub', 'p256-pub', 'rsa-priv', 'toString', '']) expect(isOpaqueKeyCodec(c)).toBe(false);
    expectCode(() => opaqueKeysFromCodec('ed25519-pub', new Uint8Array(32)), 'did.unsupported_key_type');
  });

  it('G1G2 splits into G1 then G2, each with its own Multikey', () => {
    const [g1, g2] = opaqueKeysFromCodec('bls12_381-g1g2-pub', concatBytes(G1, G2));
    expect(g1.kind).toBe('Bls12381G1');
    expect(g2.kind).toBe('Bls12381G2');
    expect(decodeMultikey(opaqueKeyToMultikey(g1))).toEqual({ codec: 'bls12_381-g1-pub', key: G1 });
    expect(decodeMultikey(opaqueKeyToMultikey(g2))).toEqual({ codec: 'bls12_381-g2-pub', key: G2 });
    expect(opaqueKeyToJwk(g1)).toEqual({ kty: 'EC', crv: 'BLS12381_G1', x: 'oAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH' });
    expect(opaqueKeyToJwk(g2).crv).toBe('BLS12381_G2');
  });

  it('RSA: the JWK carries the DER INTEGERs without sign bytes', () => {
    const [rsa] = opaqueKeysFromCodec('rsa-pub', hexToBytes('300a020300c5ff0203010001'));
    expect(bytesToHex(rsa.bytes)).toBe('300a020300c5ff0203010001');
    expect(opaqueKeyToJwk(rsa)).toEqual({ kty: 'RSA', n: 'xf8', e: 'AQAB' });
    expectCode(() => opaqueKeysFromCodec('rsa-pub', hexToBytes('3006020181020103')), 'did.invalid_key');
  });

  it('BLS points must be compressed and not infinity', () => {
    expectCode(() => opaqueKeysFromCodec('bls12_381-g1-pub', G1.map((b, i) => (i === 0 ? 0x20 : b))), 'did.invalid_key');
    expectCode(() => opaqueKeysFromCodec('bls12_381-g2-pub', G2.map((b, i) => (i === 0 ? 0xc0 : b))), 'did.invalid_key');
  });
});
