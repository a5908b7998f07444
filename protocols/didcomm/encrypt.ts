/**
 * Encryption to a DID: anoncrypt (ECDH-ES+A256KW) and authcrypt
 * (ECDH-1PU+A256KW), choosing the keys the way the spec and didcomm-rust do:
 *
 *  - `to` a DID: every keyAgreement key of that DID on one curve (the
 *    recipient can then decrypt on any device); the curve is the first one
 *    in the recipient's keyAgreement list that we can use (recipient's
 *    preference), for authcrypt the first one we also hold a sender key on.
 *  - `to` a DID URL: exactly that key.
 *  - `from` a DID: our first keyAgreement key (secret held) on that curve;
 *    `from` a DID URL: exactly that key.
 *
 * Used by pack.ts and by forward.ts (which anoncrypts each forward hop).
 */
import type { ParsedSecret } from '../did/keys.ts';
import type { DidResolver } from '../did/types.ts';
import { equalBytes } from '../encoding/bytes.ts';
import { DidcommError } from '../errors.ts';
import { keyAgreementKeys, relationshipKey, relationshipKids } from './did-keys.ts';
import type { EcdhCache } from './ecdh.ts';
import { encryptJwe, type ContentEncryption, type JweJson, type RecipientKey } from './jwe.ts';
import { didOf, isKeyId } from './message.ts';
import type { SecretsResolver } from './secrets.ts';

export interface EncryptedTo {
  jwe: JweJson;
  toKids: string[];
  fromKid?: string;
}

/** Anoncrypt `payload` to `to` (a DID or a key's DID URL). */
export async function anoncryptTo(to: string, payload: Uint8Array, enc: ContentEncryption, resolver: DidResolver): Promise<EncryptedTo> {
  const keys = await keyAgreementKeys(resolver, to);
  const curve = keys[0].key.kind;
  const recipients = keys.filter((k) => k.key.kind === curve);
  return { jwe: encryptJwe(payload, { alg: 'ECDH-ES+A256KW', enc, recipients }), toKids: recipients.map((r) => r.kid) };
}

/** Our keyAgreement secrets for `from` (a DID or one key's DID URL), checked against the published keys. */
async function senderSecrets(from: string, resolver: DidResolver, secrets: SecretsResolver): Promise<ParsedSecret[]> {
  const kids = isKeyId(from) ? [from] : await relationshipKids(resolver, didOf(from), 'keyAgreement', 'didcomm.unknown_sender_key');
  const held = await secrets.findSecrets(kids);
  if (held.length === 0) throw new DidcommError('didcomm.missing_secret', `no secret for a keyAgreement key of ${from}`);
  const out: ParsedSecret[] = [];
  for (const kid of held) {
    const secret = await secrets.getSecret(kid);
    if (!secret) continue;
    const published = await relationshipKey(resolver, kid, 'keyAgreement', 'didcomm.unknown_sender_key');
    // A secret that is not the published key would produce messages nobody can decrypt.
    if (published.kind !== secret.publicKey.kind || !equalBytes(published.bytes, secret.publicKey.bytes)) {
      throw new DidcommError('didcomm.invalid_argument', `the secret for ${kid} is not the key its DID document publishes`);
    }
    out.push(secret);
  }
  if (out.length === 0) throw new DidcommError('didcomm.missing_secret', `no secret for a keyAgreement key of ${from}`);
  return out;
}

/** Authcrypt `payload` from `from` to `to`; `didcomm.no_compatible_keys` when no curve is shared. */
export async function authcryptTo(
  to: string,
  from: string,
  payload: Uint8Array,
  resolver: DidResolver,
  secrets: SecretsResolver,
  ecdhCache: EcdhCache | null,
): Promise<EncryptedTo> {
  const keys = await keyAgreementKeys(resolver, to);
  const mine = await senderSecrets(from, resolver, secrets);
  for (const { key } of keys) {
    const sender = mine.find((s) => s.privateKey.kind === key.kind);
    if (!sender) continue;
    const recipients: RecipientKey[] = keys.filter((k) => k.key.kind === key.kind);
    const jwe = encryptJwe(payload, {
      alg: 'ECDH-1PU+A256KW',
      enc: 'A256CBC-HS512',
      recipients,
      sender: { kid: sender.id, secret: sender },
      ecdhCache,
    });
    return { jwe, toKids: recipients.map((r) => r.kid), fromKid: sender.id };
  }
  throw new DidcommError('didcomm.no_compatible_keys', `${from} and ${to} share no key agreement curve`);
}
