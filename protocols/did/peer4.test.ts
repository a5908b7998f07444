import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { listVectors, readVectorJson } from '../../tests/support/vectors.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { multibaseEncode } from '../encoding/multibase.ts';
import { multicodecEncode } from '../encoding/multicodec.ts';
import { peerHash } from './peer-short.ts';
import { PeerDidStore } from './peer-store.ts';
import { createDidPeer4, didPeer4ShortForm, isDidPeer4LongForm, resolveDidPeer4 } from './peer4.ts';
import type { DidDocument } from './types.ts';

interface Peer4Vector {
  inputDocumentFile?: string;
  inputDocument: Record<string, unknown>;
  encodedDocumentJson: string;
  longFormDid: string;
  shortFormDid: string;
  resolvedLongForm: DidDocument;
  resolvedShortForm: DidDocument;
}

const FILES = [1, 2, 3, 4, 5, 6].map((n) => `peer4-example-${n}.json`).concat('peer4-tutorial-example.json');
const vector = (file: string): Peer4Vector => readVectorJson<Peer4Vector>(`did-peer/${file}`);

/** A long form around arbitrary multicodec bytes, with a correct hash. */
function longFormOf(bytes: Uint8Array): string {
  const encoded = multibaseEncode(bytes, 'base58btc');
  return `did:peer:4${peerHash(encoded)}:${encoded}`;
}
const jsonLongForm = (text: string): string => longFormOf(multicodecEncode('json', utf8Encode(text)));

const KEY = { id: '#key-1', type: 'Multikey', publicKeyMultibase: 'z6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V' };

describe('did:peer:4 vectors (did-peer-4 README appendix A and tutorial)', () => {
  for (const file of FILES) {
    it(`${file}: create, resolve long and short forms`, () => {
      const v = vector(file);
      expect(JSON.stringify(v.inputDocument)).toBe(v.encodedDocumentJson);
      expect(createDidPeer4(v.inputDocument)).toEqual({ longForm: v.longFormDid, shortForm: v.shortFormDid });
      expect(resolveDidPeer4(v.longFormDid)).toEqual(v.resolvedLongForm);
      expect(resolveDidPeer4(v.shortFormDid, { longForm: v.longFormDid })).toEqual(v.resolvedShortForm);
      expect(didPeer4ShortForm(v.longFormDid)).toBe(v.shortFormDid);
      expect(isDidPeer4LongForm(v.longFormDid)).toBe(true);
      expect(isDidPeer4LongForm(v.shortFormDid)).toBe(false);
      // a short form alone cannot be resolved; from a store of long forms seen, it can
      expect(() => resolveDidPeer4(v.shortFormDid)).toThrow();
      const store = new PeerDidStore();
      expect(store.remember(v.longFormDid)).toBe(v.shortFormDid);
      expect(resolveDidPeer4(v.shortFormDid, { store })).toEqual(v.resolvedShortForm);
    });
  }

  it('peer4-input-docs/: the six upstream input documents give the README DIDs', () => {
    const files = listVectors('did-peer/peer4-input-docs');
    expect(files).toHaveLength(6);
    const used = FILES.map((f) => vector(f).inputDocumentFile).filter((f) => f !== undefined);
    expect(used.slice().sort()).toEqual(files.map((f) => `peer4-input-docs/${f}`));
    for (const file of FILES) {
      const v = vector(file);
      if (!v.inputDocumentFile) continue;
      const input = readVectorJson<Record<string, unknown>>(`did-peer/${v.inputDocumentFile}`);
      expect(createDidPeer4(input).longForm).toBe(v.longFormDid);
    }
  });

  it('short form without its long form is did.not_found; with a foreign long form did.invalid', () => {
    const a = vector(FILES[0]);
    const b = vector(FILES[1]);
    expectCode(() => resolveDidPeer4(a.shortFormDid), 'did.not_found');
    expectCode(() => resolveDidPeer4(a.shortFormDid, { store: new PeerDidStore() }), 'did.not_found');
    expectCode(() => resolveDidPeer4(a.shortFormDid, { longForm: b.longFormDid }), 'did.invalid');
    expectCode(() => resolveDidPeer4(a.shortFormDid, { longForm: a.shortFormDid }), 'did.invalid');
    expectCode(() => resolveDidPeer4(a.shortFormDid, { longForm: 'did:peer:2.Vz6Mk' }), 'did.invalid');
  });
});

describe('did:peer:4 hash and syntax checks', () => {
  const v = vector(FILES[0]);
  const [hash, encoded] = v.longFormDid.slice('did:peer:4'.length).split(':');

  it('a long form whose hash does not match its document is did.invalid', () => {
    const other = vector(FILES[1]).shortFormDid.slice('did:peer:4'.length);
    expectCode(() => resolveDidPeer4(`did:peer:4${other}:${encoded}`), 'did.invalid');
    expectCode(() => didPeer4ShortForm(`did:peer:4${other}:${encoded}`), 'did.invalid');
    // one base58 character of the document changed (2 <-> 3): still base58, hash no longer matches
    const i = encoded.indexOf('2', 10);
    const tampered = encoded.slice(0, i) + '3' + encoded.slice(i + 1);
    expectCode(() => resolveDidPeer4(`did:peer:4${hash}:${tampered}`), 'did.invalid');
    expect(() => new PeerDidStore().remember(`did:peer:4${hash}:${tampered}`)).toThrow();
  });

  it('malformed did:peer:4 strings are did.invalid', () => {
    const bad = [
      'did:peer:4',
      `did:peer:4${hash}:`,
      `did:peer:4${hash}:${encoded}:${encoded}`,
      `did:peer:4${hash.slice(0, -1)}`, // multihash one byte short
      `did:peer:4Qm${hash.slice(3)}`, // no multibase prefix
      `did:peer:4${hash}:${encoded.slice(1)}`, // document not multibase z
      `did:peer:4u${hash.slice(1)}`,
      `did:peer:4z${'1'.repeat(46)}`, // base58, but not a sha2-256 multihash
      `did:peer:3${hash}`,
      `did:key:${hash}`,
    ];
    for (const did of bad) expectCode(() => resolveDidPeer4(did), 'did.invalid');
  });

  it('the encoded document must be json-multicodec JSON of an object following the input rules', () => {
    expectCode(() => resolveDidPeer4(longFormOf(multicodecEncode('cbor', utf8Encode('{}')))), 'did.invalid');
    expectCode(() => resolveDidPeer4(longFormOf(multicodecEncode('json', new Uint8Array([0x7b, 0xff, 0x7d])))), 'did.invalid');
    expectCode(() => resolveDidPeer4(jsonLongForm('{"a":')), 'did.invalid');
    expectCode(() => resolveDidPeer4(jsonLongForm('[1]')), 'did.invalid_document');
    expectCode(() => resolveDidPeer4(jsonLongForm('{"id":"did:example:evil"}')), 'did.invalid_document');
    expectCode(() => resolveDidPeer4(jsonLongForm('{"verificationMethod":[{"id":"did:example:x#k","type":"Multikey"}]}')), 'did.invalid_document');
    // the minimal document of the reference README: {"hello":"world"}
    const hello = jsonLongForm('{"hello":"world"}');
    expect(hello).toBe('did:peer:4zQmb7xLdVY9TXx8oov5XgpGUmGELgqiAV2699s43i6Qdm3M:zQSJgiFTYiCHjQ9MktwNThRXM7a');
    expect(resolveDidPeer4(hello)).toEqual({ hello: 'world', alsoKnownAs: [didPeer4ShortForm(hello)], id: hello });
  });
});

describe('createDidPeer4 and contextualization', () => {
  it('keeps alsoKnownAs and explicit controllers, sets controller on listed and embedded methods', () => {
    const { longForm, shortForm } = createDidPeer4({
      alsoKnownAs: ['did:example:me'],
      verificationMethod: [KEY, { ...KEY, id: '#key-2', controller: 'did:example:other' }],
      authentication: ['#key-1', { ...KEY, id: '#key-3' }],
      keyAgreement: [],
      service: [{ id: '#s', type: 'DIDCommMessaging', serviceEndpoint: { uri: 'http://a' } }],
    });
    const doc = resolveDidPeer4(longForm);
    expect(doc.id).toBe(longForm);
    expect(doc.alsoKnownAs).toEqual(['did:example:me', shortForm]);
    expect(doc.verificationMethod!.map((m) => m.controller)).toEqual([longForm, 'did:example:other']);
    expect(doc.authentication).toEqual(['#key-1', { ...KEY, id: '#key-3', controller: longForm }]);
    expect(doc.keyAgreement).toBeUndefined(); // empty arrays are left out (README example 6)
    expect(doc.service).toEqual([{ id: '#s', type: 'DIDCommMessaging', serviceEndpoint: { uri: 'http://a' } }]);
    const short = resolveDidPeer4(shortForm, { longForm });
    expect(short.id).toBe(shortForm);
    expect(short.alsoKnownAs).toEqual(['did:example:me', longForm]);
    expect(short.verificationMethod![0].controller).toBe(shortForm);
  });

  it('the encoding keeps key order and writes non-ASCII as UTF-8', () => {
    const a = createDidPeer4({ b: 1, a: 'é' });
    const b = createDidPeer4({ a: 'é', b: 1 });
    expect(a.longForm).not.toBe(b.longForm);
    expect(a.longForm).toBe(jsonLongForm('{"b":1,"a":"é"}'));
    expect(resolveDidPeer4(a.longForm)).toEqual({ b: 1, a: 'é', alsoKnownAs: [a.shortForm], id: a.longForm });
  });

  it('input documents breaking the spec rules, or not JSON data, are did.invalid_document', () => {
    const bad: unknown[] = [
      null,
      [],
      'doc',
      {},
      { id: 'did:example:x' },
      { alsoKnownAs: 'did:example:x' },
      { verificationMethod: KEY },
      { verificationMethod: [{ type: 'Multikey' }] },
      { verificationMethod: [{ ...KEY, id: 'key-1' }] },
      { verificationMethod: [{ ...KEY, id: 'did:example:x#key-1' }] },
      { verificationMethod: [{ id: '#key-1' }] },
      { authentication: [{ ...KEY, id: 7 }] },
      { service: [{ type: 'X', serviceEndpoint: 'http://a' }] },
      { a: undefined },
      { a: Number.NaN },
      { a: new Date(0) },
      { a: 'lone \ud800' },
    ];
    for (const doc of bad) expectCode(() => createDidPeer4(doc as Record<string, unknown>), 'did.invalid_document');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expectCode(() => createDidPeer4(cyclic), 'did.invalid_document');
  });
});

describe('PeerDidStore', () => {
  it('remembers long forms of did:peer:2 and did:peer:4, bounded, oldest first out', () => {
    const p2 = readVectorJson<{ did: string; didPeer3: string }>('did-peer/peer2-spec-example.json');
    const store = new PeerDidStore({ capacity: 2 });
    expect(store.remember(p2.did)).toBe(p2.didPeer3);
    const a = vector(FILES[0]);
    const b = vector(FILES[1]);
    store.remember(a.longFormDid);
    expect(store.longFormOf(p2.didPeer3)).toBe(p2.did);
    store.remember(p2.did); // seen again: now the most recent
    store.remember(b.longFormDid); // evicts a, the oldest
    expect(store.size).toBe(2);
    expect(store.longFormOf(a.shortFormDid)).toBeUndefined();
    expect(store.longFormOf(b.shortFormDid)).toBe(b.longFormDid);
    expect(store.longFormOf(p2.didPeer3)).toBe(p2.did);
  });

  it('only long-form peer DIDs can be remembered; capacity must be positive', () => {
    const store = new PeerDidStore();
    for (const did of ['did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp', vector(FILES[0]).shortFormDid, 'not a did', 'did:peer:3zQmd6RdU6e2nDrLn1rjwdA5Buzq7wJwsv3WJ1AgrwKYJoLE']) {
      expectCode(() => store.remember(did), 'did.invalid');
    }
    expectCode(() => new PeerDidStore({ capacity: 0 }), 'did.invalid_options');
  });
});
