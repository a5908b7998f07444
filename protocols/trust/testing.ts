/**
 * Parties for the trust tests (Node and XS): deterministic Ed25519 keys,
 * did:key identities, and DID documents under `did:web:` names whose keys
 * can be rotated (what a did:webvh DID looks like once resolved, without
 * the log). Not part of the protocol; only tests import it.
 */
import { didKeyFromPublicKey } from '../did/key.ts';
import { publicKeyFromPrivateKey, publicKeyToMultikey } from '../did/keys.ts';
import type { DidDocument } from '../did/types.ts';
import { ed25519Signer, type Signer } from '../vc/signer.ts';

export function testSeed(n: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + n * 17 + 5) & 0xff);
}

export interface KeyParty {
  did: string;
  signer: Signer;
}

/** A did:key party from seed number `n`. */
export function keyParty(n: number): KeyParty {
  const seed = testSeed(n);
  const did = didKeyFromPublicKey(publicKeyFromPrivateKey({ kind: 'Ed25519', bytes: seed }));
  return { did, signer: ed25519Signer(`${did}#${did.slice('did:key:'.length)}`, seed) };
}

export interface DocParty {
  did: string;
  document: DidDocument;
  signer: Signer;
}

/** `did:web:<name>.example` with one Multikey (seed `n`) for authentication and assertions. */
export function docParty(name: string, n: number, did: string = `did:web:${name}.example`): DocParty {
  const seed = testSeed(n);
  const mk = publicKeyToMultikey(publicKeyFromPrivateKey({ kind: 'Ed25519', bytes: seed }));
  const id = `${did}#key-${n}`;
  return {
    did,
    signer: ed25519Signer(id, seed),
    document: {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: did,
      verificationMethod: [{ id, type: 'Multikey', controller: did, publicKeyMultibase: mk }],
      authentication: [id],
      assertionMethod: [id],
    },
  };
}

/** The same DID with its key replaced by seed `n` (a key rotation). */
export function rotated(party: DocParty, n: number): DocParty {
  return docParty('', n, party.did);
}
