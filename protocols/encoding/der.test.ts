import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { base64urlEncode } from './base64url.ts';
import { bytesToHex, concatBytes, hexToBytes } from './bytes.ts';
import { decodeRsaPublicKey, readDerElement } from './der.ts';
import { decodeMultikey } from './multikey.ts';

describe('readDerElement', () => {
  it('reads short and long definite lengths', () => {
    expect(readDerElement(hexToBytes('020105'))).toEqual({ tag: 2, start: 2, end: 3 });
    expect(readDerElement(hexToBytes('0500'))).toEqual({ tag: 5, start: 2, end: 2 });
    const long = concatBytes(hexToBytes('048180'), new Uint8Array(0x80));
    expect(readDerElement(long)).toEqual({ tag: 4, start: 3, end: 0x83 });
    const longer = concatBytes(hexToBytes('30820100'), new Uint8Array(0x100));
    expect(readDerElement(longer)).toEqual({ tag: 0x30, start: 4, end: 0x104 });
    expect(readDerElement(hexToBytes('ff020107'), 1)).toEqual({ tag: 2, start: 3, end: 4 });
  });

  it('rejects BER-only and malformed encodings with encoding.invalid_der', () => {
    const bad = [
      '', // nothing
      '02', // no length
      '0203 0102', // value shorter than its length
      '3080 0000', // indefinite length (BER)
      '1f0100', // multi-byte tag
      '02817f' + '00'.repeat(0x7f), // long form for a length < 128
      '0282007f' + '00'.repeat(0x7f), // leading zero length byte
      '0285' + '0000000001' + '00', // 5 length bytes
      '0282', // truncated long length
    ];
    for (const hex of bad) expectCode(() => readDerElement(hexToBytes(hex.replace(/ /g, ''))), 'encoding.invalid_der');
    expectCode(() => readDerElement(hexToBytes('020100'), 3), 'encoding.invalid_der');
    expectCode(() => readDerElement(hexToBytes('020100'), -1), 'encoding.invalid_der');
    expectCode(() => readDerElement('3000' as unknown as Uint8Array), 'encoding.invalid_der');
  });
});

describe('decodeRsaPublicKey (PKCS #1 RSAPublicKey)', () => {
  it('small hand-made key: n = 0x00c5 (sign byte dropped), e = 3; 0x0080 is minimal for +128', () => {
    const k = decodeRsaPublicKey(hexToBytes('3007020200c5020103'));
    expect(bytesToHex(k.n)).toBe('c5');
    expect(bytesToHex(k.e)).toBe('03');
    expect(bytesToHex(decodeRsaPublicKey(hexToBytes('300702020080020103')).n)).toBe('80');
  });

  it('the did:key rsa.json keys give the vectors\' JWK n and e (2048 and 4096 bits)', () => {
    const v = readVectorJson<Record<string, { publicKeyJwk: { n: string; e: string } }>>('did-key/rsa.json');
    const sizes: number[] = [];
    for (const [did, entry] of Object.entries(v)) {
      const { codec, key } = decodeMultikey(did.slice('did:key:'.length));
      expect(codec).toBe('rsa-pub');
      const k = decodeRsaPublicKey(key);
      expect(base64urlEncode(k.n)).toBe(entry.publicKeyJwk.n);
      expect(base64urlEncode(k.e)).toBe(entry.publicKeyJwk.e);
      sizes.push(k.n.length * 8);
    }
    expect(sizes).toEqual([2048, 4096]);
  });

  it('rejects anything but SEQUENCE { positive minimal INTEGER, positive minimal INTEGER }', () => {
    const bad = [
      '3106020101020103', // SET, not SEQUENCE
      '3006020101020103 00', // trailing byte after the SEQUENCE
      '3009020101020103020101', // a third INTEGER
      '3003020101', // only the modulus
      '3006040101020103', // OCTET STRING modulus
      '3006020101040103', // OCTET STRING exponent
      '300702020001020103', // modulus 0x0001: not minimal
      '3007020200c5020203', // exponent runs past the SEQUENCE
      '3006020181020103', // negative modulus
      '3006020100020103', // zero modulus
      '30050200020103', // empty INTEGER
      '3006020101020201', // exponent truncated
      '3007 0202ff80 020103', // 0xff80: non-minimal negative
      '3008 0203000001 020103', // leading zeros
    ];
    for (const hex of bad) {
      expectCode(() => decodeRsaPublicKey(hexToBytes(hex.replace(/ /g, ''))), 'encoding.invalid_der');
    }
  });
});
