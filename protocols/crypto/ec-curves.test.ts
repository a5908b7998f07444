/**
 * P-384 / P-521 key agreement and secp256k1 (ES256K) in the facade.
 * Vectors: NIST CAVS 14.1 KAS ECC CDH primitive tests (ecccdhtestvectors.zip,
 * KAS_ECC_CDH_PrimitiveTest.txt, [P-384] and [P-521] COUNT = 0; the P-521
 * field elements there carry two extra leading zero bytes, dropped here), and
 * the secp256k1 generator (private key 1 -> G, SEC 2 §2.4.1).
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex as hex, hexToBytes as bytes } from '@noble/hashes/utils.js';
import { expectCode } from '../../tests/support/assert.ts';
import { nobleCrypto as c } from './noble.ts';

const CDH = {
  'P-384': {
    d: '3cc3122a68f0d95027ad38c067916ba0eb8c38894d22e1b15618b6818a661774ad463b205da88cf699ab4d43c9cf98a1',
    q: '049803807f2f6d2fd966cdd0290bd410c0190352fbec7ff6247de1302df86f25d34fe4a97bef60cff548355c015dbb3e5fba26ca69ec2f5b5d9dad20cc9da711383a9dbe34ea3fa5a2af75b46502629ad54dd8b7d73a8abb06a3a3be47d650cc99',
    peer: '04a7c76b970c3b5fe8b05d2838ae04ab47697b9eaf52e764592efda27fe7513272734466b400091adbf2d68c58e0c50066ac68f19f2e1cb879aed43a9969b91a0839c4c38a49749b661efedf243451915ed0905a32b060992b468c64766fc8437a',
    z: '5f9d29dc5e31a163060356213669c8ce132e22f57c9a04f40ba7fcead493b457e5621e766c40a2e3d4d6a04b25e533f1',
  },
  'P-521': {
    d: '017eecc07ab4b329068fba65e56a1f8890aa935e57134ae0ffcce802735151f4eac6564f6ee9974c5e6887a1fefee5743ae2241bfeb95d5ce31ddcb6f9edb4d6fc47',
    q: '0400602f9d0cf9e526b29e22381c203c48a886c2b0673033366314f1ffbcba240ba42f4ef38a76174635f91e6b4ed34275eb01c8467d05ca80315bf1a7bbd945f550a501b7c85f26f5d4b2d7355cf6b02117659943762b6d1db5ab4f1dbc44ce7b2946eb6c7de342962893fd387d1b73d7a8672d1f236961170b7eb3579953ee5cdc88cd2d',
    peer: '0400685a48e86c79f0f0875f7bc18d25eb5fc8c0b07e5da4f4370f3a9490340854334b1e1b87fa395464c60626124a4e70d0f785601d37c09870ebf176666877a2046d01ba52c56fc8776d9e8f5db4f0cc27636d0b741bbe05400697942e80b739884a83bde99e0f6716939e632bc8986fa18dccd443a348b6c3e522497955a4f3c302f676',
    z: '005fc70477c3e63bc3954bd0df3ea0d1f41ee21746ed95fc5e1fdf90930d5e136672d72cc770742d1711c3c3a4c334a0ad9759436a4d3c5bf6e74b9578fac148c831',
  },
};

const ops = {
  'P-384': { pub: c.p384PublicKey, ecdh: c.p384SharedSecret, size: 48 },
  'P-521': { pub: c.p521PublicKey, ecdh: c.p521SharedSecret, size: 66 },
};

describe('P-384 and P-521 ECDH', () => {
  for (const curve of ['P-384', 'P-521'] as const) {
    const v = CDH[curve];
    const { pub, ecdh, size } = ops[curve];
    it(`${curve}: NIST CDH vector (public key, shared x, both SEC1 forms of the peer key)`, () => {
      expect(hex(pub(bytes(v.d)))).toBe(v.q);
      const compressed = pub(bytes(v.d), true);
      expect(compressed).toHaveLength(size + 1);
      expect(hex(compressed.subarray(1))).toBe(v.q.slice(2, 2 + 2 * size));
      expect(hex(ecdh(bytes(v.d), bytes(v.peer)))).toBe(v.z);
      const peerY = bytes(v.peer).subarray(1 + size);
      const prefix = (peerY[size - 1] & 1) === 1 ? '03' : '02';
      expect(hex(ecdh(bytes(v.d), bytes(prefix + v.peer.slice(2, 2 + 2 * size))))).toBe(v.z);
    });

    it(`${curve}: refuses bad private and public keys with typed codes`, () => {
      expectCode(() => pub(new Uint8Array(size)), 'crypto.invalid_key');
      expectCode(() => pub(new Uint8Array(size - 1)), 'crypto.invalid_key_length');
      const offCurve = bytes(v.peer);
      offCurve[offCurve.length - 1] ^= 1;
      expectCode(() => ecdh(bytes(v.d), offCurve), 'crypto.invalid_key');
      expectCode(() => ecdh(bytes(v.d), bytes(v.peer).subarray(0, 2 * size)), 'crypto.invalid_key_length');
    });
  }
});

describe('secp256k1 / ES256K', () => {
  it('private key 1 gives the generator G', () => {
    const one = new Uint8Array(32);
    one[31] = 1;
    expect(hex(c.secp256k1PublicKey(one, true))).toBe('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
  });

  it('signs low-S, verifies, and rejects tampering', () => {
    const priv = bytes('8f2a5594ef6d6a1ab9f0b7a9b4f1e3ad3c8d2e7b6a5f4e3d2c1b0a9988776655');
    const pub = c.secp256k1PublicKey(priv);
    const half = BigInt('0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');
    for (let i = 0; i < 4; i++) {
      const msg = new Uint8Array([1, 2, 3, i]);
      const sig = c.es256kSign(msg, priv);
      expect(sig).toHaveLength(64);
      expect(BigInt('0x' + hex(sig.subarray(32))) <= half).toBe(true);
      expect(c.es256kVerify(sig, msg, pub)).toBe(true);
      expect(c.es256kVerify(sig, msg, c.secp256k1PublicKey(priv, true))).toBe(true);
      expect(c.es256kVerify(sig, new Uint8Array([1, 2, 3, i + 1]), pub)).toBe(false);
      const bad = sig.slice();
      bad[5] ^= 1;
      expect(c.es256kVerify(bad, msg, pub)).toBe(false);
      expect(c.es256kVerify(sig.subarray(1), msg, pub)).toBe(false);
      // ES256 with the same bytes is another curve: never valid.
      expect(c.es256Verify(sig, msg, c.p256PublicKey(priv))).toBe(false);
    }
    expectCode(() => c.es256kSign(new Uint8Array(1), new Uint8Array(32)), 'crypto.invalid_key');
  });
});
