/**
 * DIDComm test parties, shared by the neutral tests (Node and XS) and the
 * Node-only interop/CLI tests: the spec appendix's Alice and Bob (from
 * shared/vectors/didcomm), and freshly generated parties with keys on any
 * curve, described by `did:example` documents served by a static resolver.
 */
import { getCrypto } from '../../protocols/crypto/index.ts';
import { parseSecret, publicKeyFromPrivateKey, publicKeyToJwk, type KeyKind, type ParsedSecret, type PrivateKey } from '../../protocols/did/keys.ts';
import { createStaticResolver } from '../../protocols/did/resolver.ts';
import type { DidDocument, DidResolver } from '../../protocols/did/types.ts';
import { newMessageId } from '../../protocols/didcomm/message.ts';
import { createSecretsResolver, type SecretsResolver } from '../../protocols/didcomm/secrets.ts';
import { readVectorJson } from './vectors.ts';

export interface Party {
  did: string;
  doc: DidDocument;
  secrets: ParsedSecret[];
  resolver: SecretsResolver;
}

/**
 * Appendix A secrets carry `kid` (Alice) or `"kid "` with a trailing space
 * (Bob: a typo in the spec text, kept byte-exact in the vectors): member
 * names are trimmed here, as implementations do when loading them.
 */
export function vectorSecrets(file: string): ParsedSecret[] {
  const list = readVectorJson<Record<string, unknown>[]>(`didcomm/${file}`);
  return list.map((e) => parseSecret(Object.fromEntries(Object.entries(e).map(([k, v]) => [k.trim(), v]))));
}

/** Alice and Bob of the spec appendix, and a resolver that knows both. */
export function appendixParties(): { alice: Party; bob: Party; resolver: DidResolver } {
  const aliceDoc = readVectorJson<DidDocument>('didcomm/alice-did-doc.json');
  const bobDoc = readVectorJson<DidDocument>('didcomm/bob-did-doc.json');
  const aliceSecrets = vectorSecrets('alice-secrets.json');
  const bobSecrets = vectorSecrets('bob-secrets.json');
  return {
    alice: { did: aliceDoc.id, doc: aliceDoc, secrets: aliceSecrets, resolver: createSecretsResolver(aliceSecrets) },
    bob: { did: bobDoc.id, doc: bobDoc, secrets: bobSecrets, resolver: createSecretsResolver(bobSecrets) },
    resolver: createStaticResolver([aliceDoc, bobDoc]),
  };
}

const SCALAR: Record<KeyKind, number> = { Ed25519: 32, X25519: 32, 'P-256': 32, 'P-384': 48, 'P-521': 66, secp256k1: 32 };

/** A random private key of `kind` (EC scalars drawn until in range). */
export function randomPrivateKey(kind: KeyKind): PrivateKey {
  for (;;) {
    const bytes = getCrypto().randomBytes(SCALAR[kind]);
    if (kind === 'P-521') bytes[0] &= 1;
    try {
      publicKeyFromPrivateKey({ kind, bytes });
      return { kind, bytes };
    } catch {
      // out of range: draw again
    }
  }
}

export interface PartyOptions {
  /** Key agreement curves, one key each unless repeated (default ['X25519']). */
  agreement?: KeyKind[];
  /** Signing key kinds in `authentication` (default ['Ed25519']). */
  signing?: KeyKind[];
  /** A DIDCommMessaging service. */
  service?: { uri: string; routingKeys?: string[] };
}

/** A `did:example:<name>` party with fresh keys, JsonWebKey2020 methods, and its secrets. */
export function makeParty(name: string, o: PartyOptions = {}): Party {
  const did = `did:example:${name}`;
  const secrets: ParsedSecret[] = [];
  const vm = (fragment: string, kind: KeyKind) => {
    const privateKey = randomPrivateKey(kind);
    const publicKey = publicKeyFromPrivateKey(privateKey);
    const id = `${did}#${fragment}`;
    secrets.push({ id, privateKey, publicKey });
    return { id, type: 'JsonWebKey2020' as const, controller: did, publicKeyJwk: publicKeyToJwk(publicKey) };
  };
  const count = new Map<string, number>();
  const frag = (prefix: string, kind: KeyKind) => {
    const n = (count.get(prefix + kind) ?? 0) + 1;
    count.set(prefix + kind, n);
    return `${prefix}-${kind.toLowerCase()}-${n}`;
  };
  const authentication = (o.signing ?? ['Ed25519']).map((k) => vm(frag('sign', k), k));
  const keyAgreement = (o.agreement ?? ['X25519']).map((k) => vm(frag('ka', k), k));
  const doc: DidDocument = { '@context': ['https://www.w3.org/ns/did/v1'], id: did, authentication, keyAgreement };
  if (o.service) {
    doc.service = [
      { id: `${did}#didcomm-1`, type: 'DIDCommMessaging', serviceEndpoint: { uri: o.service.uri, accept: ['didcomm/v2'], routingKeys: o.service.routingKeys ?? [] } },
    ];
  }
  return { did, doc, secrets, resolver: createSecretsResolver(secrets) };
}

/** A secrets resolver over several parties' keys (a process acting for more than one DID). */
export function secretsOf(...parties: Party[]): SecretsResolver {
  return createSecretsResolver(parties.flatMap((p) => p.secrets));
}

/** A static resolver over the parties' documents. */
export function resolverOf(...parties: Party[]): DidResolver {
  return createStaticResolver(parties.map((p) => p.doc));
}

/** A small plaintext message from `from` to `to`. */
export function lunch(from: string | undefined, to: string[] | undefined, extra: Record<string, unknown> = {}) {
  const m: Record<string, unknown> = {
    id: newMessageId(),
    type: 'https://example.com/protocols/lets_do_lunch/1.0/proposal',
    body: { messagespecificattribute: 'and its value' },
    ...extra,
  };
  if (from !== undefined) m.from = from;
  if (to !== undefined) m.to = to;
  return m as { id: string; type: string; body: Record<string, unknown>; from?: string; to?: string[] };
}
