/**
 * The DIDComm envelope operations the benchmark measures, written once for
 * every engine: bench/didcomm.ts runs them in Node (noble and node:crypto
 * providers), bench/didcomm-xs-payload.ts inside XS. Platform-neutral.
 *
 * Alice and Bob have fixed keys (X25519 key agreement, Ed25519
 * authentication) in did:example documents, one recipient key each, and the
 * message is the DIDComm appendix's lunch proposal. "authcrypt" rows run
 * without the static-static ECDH cache (every message pays both ECDHs: the
 * figure comparable to didcomm-node, which has no such cache); the
 * "authcrypt, cached" rows are the steady state of a conversation.
 */
import { publicKeyFromPrivateKey, publicKeyToJwk, type KeyKind, type ParsedSecret } from '../protocols/did/keys.ts';
import { createStaticResolver } from '../protocols/did/resolver.ts';
import type { DidDocument, DidResolver } from '../protocols/did/types.ts';
import { createEcdhCache } from '../protocols/didcomm/ecdh.ts';
import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createSecretsResolver, type SecretsResolver } from '../protocols/didcomm/secrets.ts';
import { unpack } from '../protocols/didcomm/unpack.ts';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import { filled } from './bytes.ts';

export interface DidcommBenchOp {
  readonly name: string;
  /**
   * Untimed preparation (keys; for unpack, `pool` distinct packed messages,
   * default 96, unpacked in turn so every message brings a fresh ephemeral
   * key as real traffic does); returns the timed operation.
   */
  prepare(pool?: number): Promise<() => Promise<unknown>>;
}

export interface BenchParty {
  did: string;
  doc: DidDocument;
  secrets: ParsedSecret[];
  resolver: SecretsResolver;
}

function party(name: string, seed: number): BenchParty {
  const did = `did:example:${name}`;
  const secrets: ParsedSecret[] = [];
  const vm = (fragment: string, kind: KeyKind, s: number) => {
    const privateKey = { kind, bytes: filled(32, s) };
    const publicKey = publicKeyFromPrivateKey(privateKey);
    secrets.push({ id: `${did}#${fragment}`, privateKey, publicKey });
    return { id: `${did}#${fragment}`, type: 'JsonWebKey2020' as const, controller: did, publicKeyJwk: publicKeyToJwk(publicKey) };
  };
  const doc: DidDocument = { id: did, authentication: [vm('key-1', 'Ed25519', seed)], keyAgreement: [vm('key-x25519-1', 'X25519', seed + 1)] };
  return { did, doc, secrets, resolver: createSecretsResolver(secrets) };
}

/** The two parties and a resolver over their documents (shared with the didcomm-node side of the bench). */
export function benchParties(): { alice: BenchParty; bob: BenchParty; resolver: DidResolver } {
  const alice = party('alice', 11);
  const bob = party('bob', 21);
  return { alice, bob, resolver: createStaticResolver([alice.doc, bob.doc]) };
}

let counter = 0;
/** The appendix's lunch proposal with a fresh id (the replay guard is off in the bench, but ids should still differ). */
export function benchMessage(alice: string, bob: string): PlaintextMessage {
  counter++;
  return {
    id: `bench-${counter}`,
    type: 'https://example.com/protocols/lets_do_lunch/1.0/proposal',
    from: alice,
    to: [bob],
    created_time: 1516269022,
    body: { messagespecificattribute: 'and its value' },
  };
}

type Mode = 'authcrypt' | 'anoncrypt';

function op(name: string, mode: Mode, what: 'pack' | 'unpack', cached: boolean): DidcommBenchOp {
  return {
    name,
    async prepare(pool = 96) {
      const { alice, bob, resolver } = benchParties();
      const cache = cached ? createEcdhCache(8) : null;
      const pack = () =>
        packEncrypted(benchMessage(alice.did, bob.did), {
          to: bob.did,
          from: mode === 'authcrypt' ? alice.did : undefined,
          enc: 'A256CBC-HS512',
          resolver,
          secrets: alice.resolver,
          ecdhCache: cache,
        });
      if (what === 'pack') {
        await pack(); // warm: fills the cache when there is one
        return pack;
      }
      const packed: string[] = [];
      for (let i = 0; i < pool; i++) packed.push((await pack()).packed);
      let next = 0;
      const run = () => unpack(packed[next++ % packed.length], { resolver, secrets: bob.resolver, ecdhCache: cache });
      await run();
      return run;
    },
  };
}

export const DIDCOMM_BENCH_OPS: readonly DidcommBenchOp[] = [
  op('authcrypt pack', 'authcrypt', 'pack', false),
  op('authcrypt unpack', 'authcrypt', 'unpack', false),
  op('anoncrypt pack', 'anoncrypt', 'pack', false),
  op('anoncrypt unpack', 'anoncrypt', 'unpack', false),
  op('authcrypt pack, cached', 'authcrypt', 'pack', true),
  op('authcrypt unpack, cached', 'authcrypt', 'unpack', true),
];
