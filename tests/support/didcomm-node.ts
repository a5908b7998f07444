/**
 * Adapters to drive didcomm-node 0.4.1 (the WASM build of didcomm-rust)
 * with ssiot's resolvers and secrets, for the interop tests and the
 * benchmark. Node-only.
 *
 * Shapes didcomm-node expects: DID documents with absolute ids, string lists
 * for `keyAgreement`/`authentication`, every method in
 * `verificationMethod` (JWK form here), and DIDCommMessaging services whose
 * endpoint object uses `routingKeys` (its index.d.ts spells `routing_keys`,
 * but the Rust struct it deserializes into is camelCase, and that is what it
 * reads). Secrets as `{id, type: 'JsonWebKey2020', privateKeyJwk}`.
 */
import { createRequire } from 'node:module';
import { privateKeyToJwk, publicKeyFromVerificationMethod, publicKeyToJwk, type ParsedSecret } from '../../protocols/did/keys.ts';
import { resolveVerificationMethod } from '../../protocols/did/resolver.ts';
import type { DidResolver } from '../../protocols/did/types.ts';
import { messagingService } from '../../protocols/didcomm/did-keys.ts';

/** didcomm-node is CommonJS with a .wasm beside it: loaded the CommonJS way. */
export const didcommNode = createRequire(import.meta.url)('didcomm-node') as typeof import('didcomm-node');

/** A didcomm-node DIDResolver over an ssiot resolver (null for DIDs it cannot resolve). */
export function theirResolver(r: DidResolver) {
  return {
    async resolve(did: string) {
      let doc;
      try {
        doc = await r.resolve(did);
      } catch {
        return null;
      }
      const ids = (rel: unknown) => (Array.isArray(rel) ? rel.map((e) => (typeof e === 'string' ? e : (e as { id: string }).id)) : []);
      const verificationMethod = [];
      for (const id of [...ids(doc.authentication), ...ids(doc.keyAgreement)]) {
        const vm = await resolveVerificationMethod(r, id);
        verificationMethod.push({ id, type: 'JsonWebKey2020', controller: did, publicKeyJwk: publicKeyToJwk(publicKeyFromVerificationMethod(vm)) });
      }
      const s = messagingService(doc);
      const service = s ? [{ id: s.id, type: 'DIDCommMessaging', serviceEndpoint: { uri: s.uri, accept: s.accept ?? [], routingKeys: s.routingKeys } }] : [];
      return { id: did, keyAgreement: ids(doc.keyAgreement), authentication: ids(doc.authentication), verificationMethod, service };
    },
  };
}

/** A didcomm-node SecretsResolver over parsed secrets. */
export function theirSecrets(secrets: readonly ParsedSecret[]) {
  return {
    async get_secret(id: string) {
      const s = secrets.find((x) => x.id === id);
      return s ? { id, type: 'JsonWebKey2020', privateKeyJwk: privateKeyToJwk(s.privateKey) } : null;
    },
    async find_secrets(ids: string[]) {
      return ids.filter((id) => secrets.some((x) => x.id === id));
    },
  };
}
