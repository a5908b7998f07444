import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { base58btcEncode } from '../encoding/multibase.ts';
import { bytesToHex, utf8Encode } from '../encoding/bytes.ts';
import { parseSecret, publicKeyFromVerificationMethod } from './keys.ts';
import { PeerDidStore } from './peer-store.ts';
import {
  createDidPeer2,
  decodeDidPeer2Service,
  didPeer2ToPeer3,
  encodeDidPeer2Service,
  generateDidPeer2,
  resolveDidPeer2,
  resolveDidPeer3,
  type DidPeer2Key,
  type DidPeer2Service,
} from './peer2.ts';
import type { DidDocument } from './types.ts';

interface Peer2Vector {
  inputKeys: DidPeer2Key[];
  inputServices: DidPeer2Service[];
  did: string;
  didPeer3: string;
  resolvedDocument: DidDocument;
  serviceEncodingSteps?: { service: DidPeer2Service; compactJson: string; base64url: string; element: string };
}

const V = 'z6Mkj3PUd1WjvaDhNZhhhXQdz5UnZXmS7ehtx8bsPpD47kKc';
const E = 'z6LSg8zQom395jKLrGiBNruB9MM6V8PWuf2FpEy4uRFiqQBR';
const b64json = (x: unknown): string => base64urlEncode(utf8Encode(JSON.stringify(x)));

describe('did:peer:2 vectors', () => {
  for (const file of ['peer2-spec-example.json', 'peer2-readme-usage-example.json']) {
    it(`${file}: create, resolve, did:peer:3`, () => {
      const v = readVectorJson<Peer2Vector>(`did-peer/${file}`);
      expect(createDidPeer2({ keys: v.inputKeys, services: v.inputServices })).toBe(v.did);
      expect(resolveDidPeer2(v.did)).toEqual(v.resolvedDocument);
      expect(didPeer2ToPeer3(v.did)).toBe(v.didPeer3);
    });
  }

  it('peer2-spec-example.json: service encoding steps', () => {
    const v = readVectorJson<Peer2Vector>('did-peer/peer2-spec-example.json');
    const steps = v.serviceEncodingSteps!;
    expect(encodeDidPeer2Service(steps.service)).toBe(steps.base64url);
    expect(`.S${encodeDidPeer2Service(steps.service)}`).toBe(steps.element);
    expect(decodeDidPeer2Service(steps.base64url)).toEqual([steps.service]);
  });

  it('peer2-to-peer3-example.json: hash form of a legacy-service did:peer:2', () => {
    const v = readVectorJson<{ didPeer2: string; didPeer3: string }>('did-peer/peer2-to-peer3-example.json');
    expect(didPeer2ToPeer3(v.didPeer2)).toBe(v.didPeer3);
    // its legacy service (string endpoint, top-level r/a) still resolves, expanded
    const doc = resolveDidPeer2(v.didPeer2);
    expect(doc.service).toEqual([
      {
        type: 'DIDCommMessaging',
        serviceEndpoint: 'https://example.com/endpoint',
        routingKeys: ['did:example:somemediator#somekey'],
        accept: ['didcomm/v2', 'didcomm/aip2;env=rfc587'],
        id: '#service',
      },
    ]);
    expect(doc.keyAgreement).toEqual(['#key-1']);
    expect(doc.authentication).toEqual(['#key-2', '#key-3']);
    expect(doc.alsoKnownAs).toEqual([v.didPeer3]);
  });
});

describe('did:peer:3', () => {
  for (const file of ['peer2-spec-example.json', 'peer2-readme-usage-example.json']) {
    it(`${file}: resolves from its did:peer:2 (hint or store), as the did:peer:2 document renamed`, () => {
      const v = readVectorJson<Peer2Vector>(`did-peer/${file}`);
      // expected: the vector's did:peer:2 document with every did:peer:2 replaced by the did:peer:3
      const expected = JSON.parse(JSON.stringify(v.resolvedDocument).split(v.did).join(v.didPeer3)) as DidDocument;
      expected.alsoKnownAs = [v.did];
      expect(resolveDidPeer3(v.didPeer3, { longForm: v.did })).toEqual(expected);
      const store = new PeerDidStore();
      store.remember(v.did);
      expect(resolveDidPeer3(v.didPeer3, { store })).toEqual(expected);
    });
  }

  it('without its did:peer:2 it is did.not_found; with another one, or malformed, did.invalid', () => {
    const a = readVectorJson<Peer2Vector>('did-peer/peer2-spec-example.json');
    const b = readVectorJson<Peer2Vector>('did-peer/peer2-readme-usage-example.json');
    expectCode(() => resolveDidPeer3(a.didPeer3), 'did.not_found');
    expectCode(() => resolveDidPeer3(a.didPeer3, { store: new PeerDidStore() }), 'did.not_found');
    expectCode(() => resolveDidPeer3(a.didPeer3, { longForm: b.did }), 'did.invalid');
    expectCode(() => resolveDidPeer3(a.didPeer3, { longForm: 'did:peer:2' }), 'did.invalid');
    for (const bad of ['did:peer:3', `did:peer:3${a.didPeer3.slice(11)}`, `${a.didPeer3}x`, `did:peer:3z${'1'.repeat(46)}`, a.did]) {
      expectCode(() => resolveDidPeer3(bad, { longForm: a.did }), 'did.invalid');
    }
  });
});

describe('did:peer:2 resolution rules', () => {
  it('numbers keys in DID order across purposes and maps every purpose code', () => {
    const did = createDidPeer2({
      keys: [
        { purpose: 'encryption', publicKeyMultibase: E },
        { purpose: 'assertion', publicKeyMultibase: V },
        { purpose: 'capabilityInvocation', publicKeyMultibase: V },
        { purpose: 'capabilityDelegation', publicKeyMultibase: V },
        { purpose: 'verification', publicKeyMultibase: V },
      ],
    });
    expect(did).toBe(`did:peer:2.E${E}.A${V}.I${V}.D${V}.V${V}`);
    const doc = resolveDidPeer2(did);
    expect(doc.verificationMethod!.map((m) => m.id)).toEqual(['#key-1', '#key-2', '#key-3', '#key-4', '#key-5']);
    expect(doc.keyAgreement).toEqual(['#key-1']);
    expect(doc.assertionMethod).toEqual(['#key-2']);
    expect(doc.capabilityInvocation).toEqual(['#key-3']);
    expect(doc.capabilityDelegation).toEqual(['#key-4']);
    expect(doc.authentication).toEqual(['#key-5']);
    expect(doc.service).toBeUndefined();
  });

  it('services without id get #service, #service-1, ...; explicit ids are kept and not counted', () => {
    const s = (uri: string, id?: string): DidPeer2Service => ({
      ...(id ? { id } : {}),
      type: 'DIDCommMessaging',
      serviceEndpoint: { uri },
    });
    const did = createDidPeer2({
      keys: [{ purpose: 'verification', publicKeyMultibase: V }],
      services: [s('http://a'), s('http://b', '#mine'), s('http://c'), s('http://d')],
    });
    const ids = resolveDidPeer2(did).service!.map((x) => x.id);
    expect(ids).toEqual(['#service', '#mine', '#service-1', '#service-2']);
  });

  it('accepts an array of services in one element (older encoders), not base64 padding', () => {
    const one = { t: 'dm', s: { uri: 'http://a' } };
    // '=' is not a DID Core idchar: a padded service makes the whole DID invalid
    expectCode(() => resolveDidPeer2(`did:peer:2.V${V}.S${b64json(one)}==`), 'did.invalid');
    const list = `did:peer:2.V${V}.S${b64json([one, { t: 'dm', s: { uri: 'http://b' } }])}`;
    expect(resolveDidPeer2(list).service!.map((x) => x.id)).toEqual(['#service', '#service-1']);
  });
});

describe('generateDidPeer2', () => {
  it('round trip: fresh Ed25519 (V) and X25519 (E) keys, secrets match the document', () => {
    const g = generateDidPeer2({ serviceUri: 'http://192.168.1.20:8080/didcomm' });
    const doc = g.document;
    expect(g.did.startsWith('did:peer:2.Vz6Mk')).toBe(true);
    expect(g.document).toEqual(resolveDidPeer2(g.did));
    expect(doc.authentication).toEqual(['#key-1']);
    expect(doc.keyAgreement).toEqual(['#key-2']);
    expect(doc.service).toEqual([
      {
        type: 'DIDCommMessaging',
        serviceEndpoint: { uri: 'http://192.168.1.20:8080/didcomm', accept: ['didcomm/v2'] },
        id: '#service',
      },
    ]);
    expect(g.secrets.map((s) => s.id)).toEqual([`${g.did}#key-1`, `${g.did}#key-2`]);
    for (const [i, secret] of g.secrets.entries()) {
      const parsed = parseSecret(secret);
      const vmKey = publicKeyFromVerificationMethod(doc.verificationMethod![i]);
      expect(parsed.publicKey.kind).toBe(i === 0 ? 'Ed25519' : 'X25519');
      expect(bytesToHex(parsed.publicKey.bytes)).toBe(bytesToHex(vmKey.bytes));
    }
    expect(generateDidPeer2().did).not.toBe(g.did);
    expect(resolveDidPeer2(generateDidPeer2().did).service).toBeUndefined();
  });
});

describe('malformed did:peer:2', () => {
  it('bad purpose codes are did.invalid', () => {
    expectCode(() => resolveDidPeer2(`did:peer:2.X${V}`), 'did.invalid');
    expectCode(() => resolveDidPeer2(`did:peer:2.v${V}`), 'did.invalid');
    expectCode(
      () => createDidPeer2({ keys: [{ purpose: 'bogus' as DidPeer2Key['purpose'], publicKeyMultibase: V }] }),
      'did.invalid',
    );
    expectCode(
      () => createDidPeer2({ keys: [{ purpose: 'toString' as DidPeer2Key['purpose'], publicKeyMultibase: V }] }),
      'did.invalid',
    );
  });

  it('structural errors are did.invalid', () => {
    for (const s of ['did:peer:2', 'did:peer:2.', `did:peer:2..V${V}`, `did:peer:2.V${V}.`, 'did:peer:2.V', `did:peer:3.V${V}`]) {
      expectCode(() => resolveDidPeer2(s), 'did.invalid');
    }
    expectCode(() => createDidPeer2({ keys: [] }), 'did.invalid');
  });

  it('bad service base64url or JSON is did.invalid', () => {
    const base = `did:peer:2.V${V}`;
    expectCode(() => resolveDidPeer2(`${base}.Sa`), 'did.invalid'); // impossible base64 length
    expectCode(() => resolveDidPeer2(`${base}.S${base64urlEncode(utf8Encode('{"t":"dm",'))}`), 'did.invalid');
    expectCode(() => resolveDidPeer2(`${base}.S${b64json('just a string')}`), 'did.invalid');
    expectCode(() => resolveDidPeer2(`${base}.S${b64json([])}`), 'did.invalid');
    expectCode(() => resolveDidPeer2(`${base}.S${b64json({ t: 'dm' })}`), 'did.invalid'); // no endpoint
    expectCode(() => resolveDidPeer2(`${base}.S${base64urlEncode(new Uint8Array([0x7b, 0xff, 0x7d]))}`), 'did.invalid');
  });

  it('bad keys are did.invalid_key / did.unsupported_key_type', () => {
    expectCode(() => resolveDidPeer2('did:peer:2.V6Mkj3PUd1WjvaDhNZhhhXQdz5UnZXmS7ehtx8bsPpD47kKc'), 'did.invalid_key');
    expectCode(() => resolveDidPeer2(`did:peer:2.V${V.slice(0, -1)}0`), 'did.invalid_key');
    const short = `z${base58btcEncode(new Uint8Array([0xed, 0x01, ...new Uint8Array(31)]))}`; // 31-byte Ed25519 key
    expectCode(() => resolveDidPeer2(`did:peer:2.V${short}`), 'did.invalid_key');
    expectCode(() => createDidPeer2({ keys: [{ purpose: 'verification', publicKeyMultibase: 'abc' }] }), 'did.invalid_key');
    expectCode(
      () => resolveDidPeer2('did:peer:2.VzQmd6RdU6e2nDrLn1rjwdA5Buzq7wJwsv3WJ1AgrwKYJoLE'), // a multihash, not a key
      'did.unsupported_key_type',
    );
  });
});
