import { describe, it, expect } from 'vitest';
import { expectCodeAsync, expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { bytesToHex } from '../encoding/bytes.ts';
import { createDidKey, resolveDidKey } from './key.ts';
import { parseSecret, publicKeyFromVerificationMethod } from './keys.ts';
import { PeerDidStore } from './peer-store.ts';
import { generateDidPeer2, resolveDidPeer2 } from './peer2.ts';
import {
  createDefaultResolver,
  createStaticResolver,
  DidResolverRegistry,
  resolveVerificationMethod,
} from './resolver.ts';
import type { DidDocument } from './types.ts';

const KEY_DID = 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp';
const KEY_VM = `${KEY_DID}#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp`;
const KEY_KA = `${KEY_DID}#z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW`;

const alice = (): DidDocument => readVectorJson<DidDocument>('didcomm/alice-did-doc.json');
const bob = (): DidDocument => readVectorJson<DidDocument>('didcomm/bob-did-doc.json');

describe('DidResolverRegistry / createDefaultResolver', () => {
  it('resolves did:key and did:peer:2 locally, same as the method functions', async () => {
    const r = createDefaultResolver();
    expect(await r.resolve(KEY_DID)).toEqual(resolveDidKey(KEY_DID));
    const peer = readVectorJson<{ did: string; resolvedDocument: DidDocument }>('did-peer/peer2-spec-example.json');
    expect(await r.resolve(peer.did)).toEqual(peer.resolvedDocument);
  });

  it('unknown methods, other did:peer numalgos and malformed DIDs fail with stable codes', async () => {
    const r = createDefaultResolver();
    await expectCodeAsync(() => r.resolve('did:web:example.com'), 'did.unsupported_method');
    await expectCodeAsync(() => r.resolve('did:peer:1zQmd6RdU6e2nDrLn1rjwdA5Buzq7wJwsv3WJ1AgrwKYJoLE'), 'did.unsupported_method');
    // short forms never seen in long form: not found (the did:peer specs' answer)
    await expectCodeAsync(() => r.resolve('did:peer:3zQmd6RdU6e2nDrLn1rjwdA5Buzq7wJwsv3WJ1AgrwKYJoLE'), 'did.not_found');
    await expectCodeAsync(() => r.resolve('did:peer:4zQmd6RdU6e2nDrLn1rjwdA5Buzq7wJwsv3WJ1AgrwKYJoLE'), 'did.not_found');
    await expectCodeAsync(() => r.resolve('did:peer:0z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'), 'did.unsupported_method');
    await expectCodeAsync(() => r.resolve('DID:key:z6Mk'), 'did.invalid');
    await expectCodeAsync(() => r.resolve(`${KEY_DID}#frag`), 'did.invalid');
    await expectCodeAsync(() => r.resolve(`${KEY_DID.slice(0, -1)}0`), 'did.invalid_key'); // '0' is not base58
  });

  it('did:peer short forms resolve once their long form has been resolved (or given in a store)', async () => {
    const p2 = readVectorJson<{ did: string; didPeer3: string }>('did-peer/peer2-spec-example.json');
    const p4 = readVectorJson<{ longFormDid: string; shortFormDid: string; resolvedLongForm: DidDocument; resolvedShortForm: DidDocument }>(
      'did-peer/peer4-example-5.json',
    );
    const r = createDefaultResolver();
    await expectCodeAsync(() => r.resolve(p2.didPeer3), 'did.not_found');
    await expectCodeAsync(() => r.resolve(p4.shortFormDid), 'did.not_found');
    await r.resolve(p2.did);
    expect(await r.resolve(p4.longFormDid)).toEqual(p4.resolvedLongForm);
    expect((await r.resolve(p2.didPeer3)).alsoKnownAs).toEqual([p2.did]);
    expect(await r.resolve(p4.shortFormDid)).toEqual(p4.resolvedShortForm);
    // each resolver has its own memory unless given one
    await expectCodeAsync(() => createDefaultResolver().resolve(p4.shortFormDid), 'did.not_found');
    const peerDids = new PeerDidStore();
    peerDids.remember(p4.longFormDid);
    expect(await createDefaultResolver({ peerDids }).resolve(p4.shortFormDid)).toEqual(p4.resolvedShortForm);
    // the key of a short-form document dereferences like any other
    const vm = await resolveVerificationMethod(r, `${p4.shortFormDid}#key-3`, 'keyAgreement');
    expect(vm.controller).toBe(p4.shortFormDid);
  });

  it('serves listed documents (copies), and did.not_found for unlisted DIDs of a listed method', async () => {
    const r = createDefaultResolver({ documents: [alice(), bob()] });
    const doc = await r.resolve('did:example:alice');
    expect(doc).toEqual(alice());
    doc.id = 'mutated';
    expect((await r.resolve('did:example:alice')).id).toBe('did:example:alice');
    await expectCodeAsync(() => r.resolve('did:example:carol'), 'did.not_found');
    expect(await r.resolve(KEY_DID)).toEqual(resolveDidKey(KEY_DID));
  });

  it('rejects bad or duplicate listed documents', () => {
    expectCode(() => createDefaultResolver({ documents: [alice(), alice()] }), 'did.invalid_document');
    expectCode(() => createDefaultResolver({ documents: [{ id: 'not a did' }] }), 'did.invalid_document');
    expectCode(() => createDefaultResolver({ documents: [{ id: 'did:example:x', authentication: 'x' } as unknown as DidDocument] }), 'did.invalid_document');
    expectCode(() => new DidResolverRegistry().register('Web', () => alice()), 'did.invalid');
  });

  it('plugs in further methods (async, like did:webvh) and checks the returned id', async () => {
    const r = createDefaultResolver();
    r.register('webvh', async (did) => ({ id: did, verificationMethod: [] }));
    expect(await r.resolve('did:webvh:QmScid:example.com')).toEqual({ id: 'did:webvh:QmScid:example.com', verificationMethod: [] });
    r.register('evil', async () => alice());
    await expectCodeAsync(() => r.resolve('did:evil:x'), 'did.invalid_document');
    expect(r.supports('webvh')).toBe(true);
    expect(r.supports('web')).toBe(false);
  });

  it('createStaticResolver knows only its documents', async () => {
    const r = createStaticResolver([alice()]);
    expect((await r.resolve('did:example:alice')).id).toBe('did:example:alice');
    await expectCodeAsync(() => r.resolve('did:example:bob'), 'did.not_found');
    await expectCodeAsync(() => r.resolve(KEY_DID), 'did.not_found');
    await expectCodeAsync(() => r.resolve('nope'), 'did.invalid');
  });
});

describe('resolveVerificationMethod', () => {
  const r = createDefaultResolver({ documents: [alice(), bob()] });

  it('did:key: signing key for authentication/assertion, derived X25519 for keyAgreement only', async () => {
    const vm = await resolveVerificationMethod(r, KEY_VM, 'authentication');
    expect(vm.id).toBe(KEY_VM);
    expect(vm.type).toBe('Multikey');
    expect((await resolveVerificationMethod(r, KEY_VM, 'assertionMethod')).id).toBe(KEY_VM);
    expect((await resolveVerificationMethod(r, KEY_KA, 'keyAgreement')).id).toBe(KEY_KA);
    await expectCodeAsync(() => resolveVerificationMethod(r, KEY_VM, 'keyAgreement'), 'did.not_authorized');
    await expectCodeAsync(() => resolveVerificationMethod(r, KEY_KA, 'authentication'), 'did.not_authorized');
    await expectCodeAsync(() => resolveVerificationMethod(r, `${KEY_DID}#z6MkOther`, 'authentication'), 'did.not_found');
    // without a relationship, any listed method dereferences
    expect((await resolveVerificationMethod(r, KEY_KA)).id).toBe(KEY_KA);
  });

  it('did:peer:2: relative #key-N ids dereference to absolute ones', async () => {
    const g = generateDidPeer2({ serviceUri: 'http://device.local/didcomm' });
    const vm = await resolveVerificationMethod(r, `${g.did}#key-1`, 'authentication');
    expect(vm.id).toBe(`${g.did}#key-1`);
    expect(vm.controller).toBe(g.did);
    const key = publicKeyFromVerificationMethod(vm);
    expect(bytesToHex(key.bytes)).toBe(bytesToHex(parseSecret(g.secrets[0]).publicKey.bytes));
    expect((await resolveVerificationMethod(r, `${g.did}#key-2`, 'keyAgreement')).id).toBe(`${g.did}#key-2`);
    await expectCodeAsync(() => resolveVerificationMethod(r, `${g.did}#key-2`, 'authentication'), 'did.not_authorized');
    await expectCodeAsync(() => resolveVerificationMethod(r, `${g.did}#key-1`, 'assertionMethod'), 'did.not_authorized');
    await expectCodeAsync(() => resolveVerificationMethod(r, `${g.did}#key-3`), 'did.not_found');
    await expectCodeAsync(() => resolveVerificationMethod(r, `${g.did}#service`), 'did.not_found');
  });

  it('methods embedded in relationships (DIDComm appendix documents)', async () => {
    const vm = await resolveVerificationMethod(r, 'did:example:alice#key-1', 'authentication');
    expect(vm.type).toBe('JsonWebKey2020');
    expect(publicKeyFromVerificationMethod(vm).kind).toBe('Ed25519');
    expect(publicKeyFromVerificationMethod(await resolveVerificationMethod(r, 'did:example:alice#key-p256-1', 'keyAgreement')).kind).toBe('P-256');
    await expectCodeAsync(() => resolveVerificationMethod(r, 'did:example:alice#key-x25519-1', 'authentication'), 'did.not_authorized');
    await expectCodeAsync(() => resolveVerificationMethod(r, 'did:example:bob#key-x25519-1', 'authentication'), 'did.not_authorized');
    expect((await resolveVerificationMethod(r, 'did:example:bob#key-x25519-1', 'keyAgreement')).id).toBe('did:example:bob#key-x25519-1');
  });

  it('relationship entries referencing a method by relative or absolute id both count', async () => {
    const did = 'did:example:mixed';
    const doc: DidDocument = {
      id: did,
      verificationMethod: [
        { id: '#a', type: 'Multikey', controller: did, publicKeyMultibase: 'z6Mkj3PUd1WjvaDhNZhhhXQdz5UnZXmS7ehtx8bsPpD47kKc' },
        { id: `${did}#b`, type: 'Multikey', controller: did, publicKeyMultibase: 'z6LSg8zQom395jKLrGiBNruB9MM6V8PWuf2FpEy4uRFiqQBR' },
      ],
      authentication: [`${did}#a`],
      keyAgreement: ['#b'],
      assertionMethod: ['did:other:x#a'],
    };
    const s = createStaticResolver([doc]);
    expect((await resolveVerificationMethod(s, `${did}#a`, 'authentication')).id).toBe(`${did}#a`);
    expect((await resolveVerificationMethod(s, `${did}#b`, 'keyAgreement')).id).toBe(`${did}#b`);
    await expectCodeAsync(() => resolveVerificationMethod(s, `${did}#a`, 'assertionMethod'), 'did.not_authorized');
    await expectCodeAsync(() => resolveVerificationMethod(s, `${did}#a`, 'capabilityDelegation'), 'did.not_authorized');
  });

  it('rejects DID URLs that do not name a method', async () => {
    await expectCodeAsync(() => resolveVerificationMethod(r, KEY_DID), 'did.invalid');
    await expectCodeAsync(() => resolveVerificationMethod(r, `${KEY_DID}#`), 'did.invalid');
    await expectCodeAsync(() => resolveVerificationMethod(r, `${KEY_DID}/path#x`), 'did.invalid');
    await expectCodeAsync(() => resolveVerificationMethod(r, '#key-1'), 'did.invalid');
    await expectCodeAsync(
      () => resolveVerificationMethod(r, KEY_VM, 'bogus' as 'authentication'),
      'did.invalid',
    );
    await expectCodeAsync(() => resolveVerificationMethod(r, 'did:web:example.com#k'), 'did.unsupported_method');
  });

  it('a created did:key dereferences to the keys its secrets hold', async () => {
    const c = createDidKey();
    for (const [i, rel] of (['authentication', 'keyAgreement'] as const).entries()) {
      const vm = await resolveVerificationMethod(r, c.secrets[i].id, rel);
      expect(bytesToHex(publicKeyFromVerificationMethod(vm).bytes)).toBe(bytesToHex(parseSecret(c.secrets[i]).publicKey.bytes));
    }
  });
});

describe('resolveDidPeer2 through the registry', () => {
  it('matches direct resolution', async () => {
    const g = generateDidPeer2();
    expect(await createDefaultResolver().resolve(g.did)).toEqual(resolveDidPeer2(g.did));
  });
});
