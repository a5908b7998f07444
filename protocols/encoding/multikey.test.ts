/**
 * Multikey / did:key method-specific ids against shared/vectors/did-key/*.json
 * (w3c-ccg/did-method-key), and multihash against the did:peer vectors.
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { base64urlDecode } from './base64url.ts';
import { bytesToHex, concatBytes, equalBytes, hexToBytes, utf8Decode, utf8Encode } from './bytes.ts';
import { base58btcDecode, base58btcEncode, multibaseDecode, multibaseEncode } from './multibase.ts';
import { multicodecDecode, multicodecEncode } from './multicodec.ts';
import { decodeMultihash, encodeMultihash, multihashSha256 } from './multihash.ts';
import { KEY_LENGTHS, decodeMultikey, encodeMultikey, type KeyCodec } from './multikey.ts';

interface Jwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  d?: string;
}
interface Vm {
  id: string;
  type: string;
  publicKeyBase58?: string;
  privateKeyBase58?: string;
  publicKeyJwk?: Jwk;
  privateKeyJwk?: Jwk;
}

const CODEC_BY_TYPE: Record<string, KeyCodec> = {
  Ed25519VerificationKey2018: 'ed25519-pub',
  X25519KeyAgreementKey2019: 'x25519-pub',
  EcdsaSecp256k1VerificationKey2019: 'secp256k1-pub',
  Bls12381G2Key2020: 'bls12_381-g2-pub',
  P256Key2021: 'p256-pub',
};
const CODEC_BY_CRV: Record<string, KeyCodec> = {
  Ed25519: 'ed25519-pub',
  X25519: 'x25519-pub',
  secp256k1: 'secp256k1-pub',
  'P-256': 'p256-pub',
  'P-384': 'p384-pub',
  'P-521': 'p521-pub',
  BLS12381_G1: 'bls12_381-g1-pub',
  BLS12381_G2: 'bls12_381-g2-pub',
};
const PRIVATE_CODEC: Partial<Record<KeyCodec, KeyCodec>> = {
  'ed25519-pub': 'ed25519-priv',
  'x25519-pub': 'x25519-priv',
  'secp256k1-pub': 'secp256k1-priv',
  'p256-pub': 'p256-priv',
  'p384-pub': 'p384-priv',
  'p521-pub': 'p521-priv',
};

function expectedCodec(vm: Vm): KeyCodec {
  const jwk = vm.publicKeyJwk;
  if (jwk?.kty === 'RSA') return 'rsa-pub';
  if (jwk?.crv) return CODEC_BY_CRV[jwk.crv];
  return CODEC_BY_TYPE[vm.type];
}

/** Every verification method with a multikey fragment, from any of the vector file layouts. */
function collect(file: string): { did: string; vms: Vm[] }[] {
  const json = readVectorJson<Record<string, unknown>>(`did-key/${file}`);
  const entries = (file === 'x25519.json' ? json.didDocument : json) as Record<string, Record<string, unknown>>;
  return Object.keys(entries).map((did) => {
    const e = entries[did];
    const doc = (e.didDocument ?? e) as { verificationMethod?: Vm[] };
    const vms: Vm[] = [...(doc.verificationMethod ?? [])];
    for (const k of ['verificationKeyPair', 'keyAgreementKeyPair', 'verificationMethod']) {
      const v = e[k];
      if (v && !Array.isArray(v)) vms.push(v as Vm);
    }
    return { did, vms };
  });
}

function checkAgainstVm(vm: Vm, codec: KeyCodec, key: Uint8Array): void {
  expect(codec).toBe(expectedCodec(vm));
  if (vm.publicKeyBase58) expect(equalBytes(key, base58btcDecode(vm.publicKeyBase58))).toBe(true);
  const jwk = vm.publicKeyJwk;
  if (jwk?.kty === 'RSA') {
    // RSAPublicKey DER holds the modulus bytes
    expect(bytesToHex(key)).toContain(bytesToHex(base64urlDecode(jwk.n as string)));
  } else if (jwk?.kty === 'EC' && jwk.y) {
    expect(equalBytes(key.subarray(1), base64urlDecode(jwk.x as string))).toBe(true);
    const y = base64urlDecode(jwk.y);
    expect(key[0]).toBe(0x02 | (y[y.length - 1] & 1));
  } else if (jwk?.x) {
    expect(equalBytes(key, base64urlDecode(jwk.x))).toBe(true);
  }
}

const FILES = ['ed25519-x25519.json', 'x25519.json', 'nist-curves.json', 'secp256k1.json', 'bls12381.json', 'rsa.json'];

describe('Multikey: did:key vectors', () => {
  for (const file of FILES) {
    it(`${file}: every did:key id and key fragment decodes with the right codec and length`, () => {
      const entries = collect(file);
      expect(entries.length).toBeGreaterThan(0);
      let checked = 0;
      for (const { did, vms } of entries) {
        const msid = did.slice('did:key:'.length);
        const top = decodeMultikey(msid);
        const len = KEY_LENGTHS[top.codec];
        if (len !== 'der') expect(top.key).toHaveLength(len);
        expect(encodeMultikey(top.codec, top.key)).toBe(msid);
        for (const vm of vms) {
          const fragment = vm.id.slice(vm.id.indexOf('#') + 1);
          const { codec, key } = decodeMultikey(fragment);
          checkAgainstVm(vm, codec, key);
          expect(encodeMultikey(codec, key)).toBe(fragment);
          checked++;
          const privCodec = PRIVATE_CODEC[codec];
          const priv = vm.privateKeyBase58 ? base58btcDecode(vm.privateKeyBase58) : vm.privateKeyJwk?.d ? base64urlDecode(vm.privateKeyJwk.d) : undefined;
          if (privCodec && priv) {
            const mk = encodeMultikey(privCodec, priv);
            expect(decodeMultikey(mk)).toEqual({ codec: privCodec, key: priv });
          }
        }
      }
      expect(checked).toBeGreaterThan(entries.length - 1);
    });
  }

  it('knows the codec of each file', () => {
    expect(decodeMultikey('z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp').codec).toBe('ed25519-pub');
    expect(decodeMultikey('z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F').codec).toBe('x25519-pub');
    expect(decodeMultikey('zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme')).toMatchObject({ codec: 'secp256k1-pub' });
    expect(decodeMultikey('zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv').key).toHaveLength(33);
  });

  it('the g1g2 did:key holds the G1 key of its fragment first', () => {
    const did = Object.keys(readVectorJson<Record<string, unknown>>('did-key/bls12381.json')).find((d) => d.startsWith('did:key:z5Tc')) as string;
    const both = decodeMultikey(did.slice(8));
    expect(both.codec).toBe('bls12_381-g1g2-pub');
    expect(both.key).toHaveLength(144);
  });
});

describe('Multikey: errors', () => {
  const fixed = (Object.keys(KEY_LENGTHS) as KeyCodec[]).filter((c) => KEY_LENGTHS[c] !== 'der');
  for (const codec of fixed) {
    it(`${codec}: only ${KEY_LENGTHS[codec]} bytes are accepted`, () => {
      const n = KEY_LENGTHS[codec] as number;
      for (const len of [0, n - 1, n + 1]) {
        const key = new Uint8Array(len).fill(2);
        expectCode(() => encodeMultikey(codec, key), 'encoding.invalid_key_length');
        expectCode(() => decodeMultikey('z' + base58btcEncode(multicodecEncode(codec, key))), 'encoding.invalid_key_length');
      }
      const ok = new Uint8Array(n).fill(3);
      expect(decodeMultikey(encodeMultikey(codec, ok))).toEqual({ codec, key: ok });
    });
  }

  it('compressed EC keys must start with 0x02 or 0x03', () => {
    for (const codec of ['secp256k1-pub', 'p256-pub', 'p384-pub', 'p521-pub'] as const) {
      const key = new Uint8Array(KEY_LENGTHS[codec]).fill(4);
      expectCode(() => encodeMultikey(codec, key), 'encoding.invalid_key');
      expectCode(() => decodeMultikey('z' + base58btcEncode(multicodecEncode(codec, key))), 'encoding.invalid_key');
    }
  });

  it('an uncompressed P-256 key (65 bytes) is a length error', () => {
    const key = concatBytes(Uint8Array.of(4), new Uint8Array(64).fill(1));
    expectCode(() => decodeMultikey('z' + base58btcEncode(multicodecEncode('p256-pub', key))), 'encoding.invalid_key_length');
  });

  it('RSA keys need a DER SEQUENCE whose length covers the bytes exactly', () => {
    const der = hexToBytes('3006020101020103');
    expect(decodeMultikey(encodeMultikey('rsa-pub', der))).toEqual({ codec: 'rsa-pub', key: der });
    const long = concatBytes(hexToBytes('30820100'), new Uint8Array(0x100));
    expect(decodeMultikey(encodeMultikey('rsa-pub', long)).key).toHaveLength(0x104);
    expectCode(() => encodeMultikey('rsa-pub', hexToBytes('3007020101020103')), 'encoding.invalid_key_length');
    expectCode(() => encodeMultikey('rsa-pub', hexToBytes('300602010102010300')), 'encoding.invalid_key_length');
    expectCode(() => encodeMultikey('rsa-pub', concatBytes(hexToBytes('308106'), hexToBytes('020101020103'))), 'encoding.invalid_key_length');
    expectCode(() => encodeMultikey('rsa-pub', hexToBytes('3106020101020103')), 'encoding.invalid_key');
  });

  it('rejects bad prefixes, bad base58, unknown and non-key codecs', () => {
    expectCode(() => decodeMultikey(''), 'encoding.invalid_multibase');
    expectCode(() => decodeMultikey('u7QE'), 'encoding.unsupported_multibase');
    expectCode(() => decodeMultikey('z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0'), 'encoding.invalid_base58');
    expectCode(() => decodeMultikey('z' + base58btcEncode(hexToBytes('ef01' + '00'.repeat(32)))), 'encoding.unknown_multicodec');
    expectCode(() => decodeMultikey('z' + base58btcEncode(multicodecEncode('sha2-256', new Uint8Array(32)))), 'encoding.unknown_multicodec');
    expectCode(() => decodeMultikey('z' + base58btcEncode(hexToBytes('ed'))), 'encoding.invalid_varint');
    expectCode(() => encodeMultikey('sha2-256' as KeyCodec, new Uint8Array(32)), 'encoding.unknown_multicodec');
  });
});

describe('multihash', () => {
  interface Peer3 {
    hashInput: string;
    multibaseHash: string;
  }

  it('did:peer:2 -> did:peer:3 hash (peer-did-method-spec Method 3)', () => {
    const v = readVectorJson<Peer3>('did-peer/peer2-to-peer3-example.json');
    const digest = sha256(utf8Encode(v.hashInput));
    expect(multibaseEncode(encodeMultihash('sha2-256', digest))).toBe(v.multibaseHash);
    expect(multibaseEncode(multihashSha256(digest))).toBe(v.multibaseHash);
    expect(decodeMultihash(multibaseDecode(v.multibaseHash))).toEqual({ name: 'sha2-256', code: 0x12, digest });
  });

  it('frames sha2-384/512 and rejects wrong digest sizes', () => {
    expect(bytesToHex(encodeMultihash('sha2-512', new Uint8Array(64))).slice(0, 4)).toBe('1340');
    expect(bytesToHex(encodeMultihash('sha2-384', new Uint8Array(48))).slice(0, 4)).toBe('2030');
    expectCode(() => encodeMultihash('sha2-256', new Uint8Array(31)), 'encoding.invalid_multihash');
    expectCode(() => decodeMultihash(hexToBytes('1220' + '00'.repeat(31))), 'encoding.invalid_multihash');
    expectCode(() => decodeMultihash(hexToBytes('1221' + '00'.repeat(33))), 'encoding.invalid_multihash');
    expectCode(() => decodeMultihash(hexToBytes('1220' + '00'.repeat(33))), 'encoding.invalid_multihash');
    expectCode(() => decodeMultihash(hexToBytes('1120' + '00'.repeat(32))), 'encoding.unknown_multicodec');
    expectCode(() => decodeMultihash(hexToBytes('ed0120' + '00'.repeat(32))), 'encoding.unknown_multicodec');
  });
});

describe('multicodec json (did:peer:4 encoded documents)', () => {
  interface Peer4 {
    encodedDocumentJson: string;
    longFormDid: string;
    shortFormDid: string;
  }
  for (const n of [1, 2, 3]) {
    it(`peer4-example-${n}: long form = z + base58(varint 0x0200 || json), short form = multihash`, () => {
      const v = readVectorJson<Peer4>(`did-peer/peer4-example-${n}.json`);
      const [hash, encoded] = v.longFormDid.slice('did:peer:4'.length).split(':');
      const doc = multicodecDecode(multibaseDecode(encoded));
      expect(doc.name).toBe('json');
      expect(utf8Decode(doc.value)).toBe(v.encodedDocumentJson);
      expect(multibaseEncode(multicodecEncode('json', utf8Encode(v.encodedDocumentJson)))).toBe(encoded);
      expect(multibaseEncode(multihashSha256(sha256(utf8Encode(encoded))))).toBe(hash);
      expect(v.shortFormDid).toBe('did:peer:4' + hash);
    });
  }
});
