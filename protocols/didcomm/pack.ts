/**
 * Packing DIDComm v2 messages: plaintext, signed (JWS), and encrypted
 * (authcrypt / anoncrypt JWE), optionally signed first, optionally with the
 * sender protected by an outer anoncrypt, optionally wrapped in routing 2.0
 * forwards for the recipient's mediators.
 *
 * Layering follows the spec's media-type table: sign(plaintext) first, then
 * authcrypt or anoncrypt, then (protectSender) anoncrypt around authcrypt,
 * then one anoncrypted forward per routing key.
 *
 * Consistency rules enforced when packing (as didcomm-rust does): the `to`
 * DID must be in the message's `to` when it has one, `from` / `signBy` must
 * be keys of the message's `from` DID. Misuse is `didcomm.invalid_argument`.
 */
import type { DidResolver } from '../did/types.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { DidcommError } from '../errors.ts';
import { memoResolver, relationshipKey, relationshipKids, resolveMessagingService } from './did-keys.ts';
import { sharedEcdhCache, type EcdhCache } from './ecdh.ts';
import { anoncryptTo, authcryptTo } from './encrypt.ts';
import { wrapInForward } from './forward.ts';
import { CONTENT_ENCRYPTIONS, type ContentEncryption } from './jwe.ts';
import { jwsAlgorithmFor, signJws } from './jws.ts';
import { didOf, isKeyId, MEDIA_TYPE_PLAIN, validatePlaintext, type PlaintextMessage } from './message.ts';
import type { SecretsResolver } from './secrets.ts';

function invalidArgument(message: string): DidcommError {
  return new DidcommError('didcomm.invalid_argument', message);
}

/** A checked copy of the message with `typ` set (the spec: SHOULD be set; didcomm-rust always sets it). */
function prepare(msg: PlaintextMessage): PlaintextMessage {
  let json: string;
  try {
    json = JSON.stringify(msg);
  } catch (e) {
    throw new DidcommError('didcomm.invalid_message', 'the message is not JSON data', { cause: e });
  }
  const copy = validatePlaintext(JSON.parse(json ?? 'null') as unknown);
  const { id, ...rest } = copy;
  return { id, typ: MEDIA_TYPE_PLAIN, ...rest };
}

/** The plaintext form (JSON text) of a message, checked. */
export function packPlaintext(msg: PlaintextMessage): string {
  return JSON.stringify(prepare(msg));
}

export interface PackSignedOptions {
  /** Key id (DID URL) to sign with, or a DID (its first authentication key we hold a secret for). */
  signBy: string;
  secrets: SecretsResolver;
  resolver: DidResolver;
}

async function signingSecret(signBy: string, secrets: SecretsResolver, resolver: DidResolver) {
  const kids = isKeyId(signBy) ? [signBy] : await relationshipKids(resolver, didOf(signBy), 'authentication', 'didcomm.invalid_argument');
  for (const kid of await secrets.findSecrets(kids)) {
    const secret = await secrets.getSecret(kid);
    if (!secret) continue;
    try {
      jwsAlgorithmFor(secret.privateKey.kind);
    } catch {
      continue;
    }
    // The receiver will insist the key is in `authentication` of `from`: check before sending.
    await relationshipKey(resolver, kid, 'authentication', 'didcomm.invalid_argument');
    return secret;
  }
  throw new DidcommError('didcomm.missing_secret', `no signing secret for ${signBy}`);
}

function checkFrom(msg: PlaintextMessage, who: string, role: string): void {
  if (msg.from === undefined) throw invalidArgument(`the message needs a from header to be ${role}`);
  if (didOf(who) !== msg.from) throw invalidArgument(`${role} key ${who} is not of the message's from DID`);
}

async function signedText(msg: PlaintextMessage, o: PackSignedOptions): Promise<{ packed: string; signByKid: string }> {
  checkFrom(msg, o.signBy, 'signed');
  const secret = await signingSecret(o.signBy, o.secrets, o.resolver);
  const jws = signJws(utf8Encode(JSON.stringify(msg)), secret);
  return { packed: JSON.stringify(jws), signByKid: secret.id };
}

/** A signed message (JWS JSON, general serialization) by `signBy`, which must belong to the message's `from`. */
export async function packSigned(msg: PlaintextMessage, o: PackSignedOptions): Promise<{ packed: string; signByKid: string }> {
  return signedText(prepare(msg), { ...o, resolver: memoResolver(o.resolver) });
}

export interface PackEncryptedOptions {
  /** Recipient DID (all its keyAgreement keys on one curve) or one key's DID URL. */
  to: string;
  /** Sender key id or DID: authcrypt when given, anoncrypt when absent. */
  from?: string;
  /** Sign first (non-repudiation) with this key id or DID. */
  signBy?: string;
  /**
   * Content encryption of the anoncrypt layer (default A256CBC-HS512, the one
   * every implementation must support). Authcrypt always uses A256CBC-HS512.
   */
  enc?: ContentEncryption;
  /** Wrap authcrypt in anoncrypt so mediators cannot see `skid`. */
  protectSender?: boolean;
  /** Wrap in routing 2.0 forwards for the recipient's routingKeys (default false). */
  forward?: boolean;
  /** Extra headers for the forward messages (e.g. expires_time). */
  forwardHeaders?: Record<string, unknown>;
  resolver: DidResolver;
  secrets: SecretsResolver;
  /** Static-static ECDH cache (default: the shared one; null: none). */
  ecdhCache?: EcdhCache | null;
}

export interface PackResult {
  /** The envelope, JSON text. */
  packed: string;
  /** Recipient key ids of the (innermost) encryption to the recipient. */
  toKids: string[];
  /** Sender key id used for authcrypt. */
  fromKid?: string;
  /** Key id that signed the plaintext. */
  signByKid?: string;
  /** The recipient's DIDCommMessaging service: where to send `packed`. */
  serviceMetadata?: { id: string; serviceEndpoint: string };
}

/** An encrypted message (JWE JSON) for `o.to`; see PackEncryptedOptions for the modes. */
export async function packEncrypted(msg: PlaintextMessage, o: PackEncryptedOptions): Promise<PackResult> {
  const m = prepare(msg);
  const resolver = memoResolver(o.resolver);
  const enc = o.enc ?? 'A256CBC-HS512';
  if (!CONTENT_ENCRYPTIONS.includes(enc)) throw new DidcommError('didcomm.unsupported_alg', `unsupported content encryption ${String(enc)}`);
  if (o.from !== undefined && enc !== 'A256CBC-HS512' && !o.protectSender) {
    throw new DidcommError('didcomm.unsupported_alg', 'authcrypt uses A256CBC-HS512 only; other encs apply to anoncrypt');
  }
  if (typeof o.to !== 'string') throw invalidArgument('to must be a DID or DID URL');
  const toDid = didOf(o.to);
  if (m.to !== undefined && !m.to.some((t) => didOf(t) === toDid)) throw invalidArgument(`${toDid} is not in the message's to`);
  if (o.from !== undefined) checkFrom(m, o.from, 'authcrypted');

  let payload: string;
  let signByKid: string | undefined;
  if (o.signBy !== undefined) {
    ({ packed: payload, signByKid } = await signedText(m, { signBy: o.signBy, secrets: o.secrets, resolver }));
  } else {
    payload = JSON.stringify(m);
  }

  const cache = o.ecdhCache === undefined ? sharedEcdhCache : o.ecdhCache;
  let result: PackResult;
  if (o.from !== undefined) {
    const auth = await authcryptTo(o.to, o.from, utf8Encode(payload), resolver, o.secrets, cache);
    let jwe: object = auth.jwe;
    if (o.protectSender) jwe = (await anoncryptTo(o.to, utf8Encode(JSON.stringify(jwe)), enc, resolver)).jwe;
    result = { packed: JSON.stringify(jwe), toKids: auth.toKids, fromKid: auth.fromKid };
  } else {
    const anon = await anoncryptTo(o.to, utf8Encode(payload), enc, resolver);
    result = { packed: JSON.stringify(anon.jwe), toKids: anon.toKids };
  }
  if (signByKid !== undefined) result.signByKid = signByKid;

  let service;
  try {
    service = await resolveMessagingService(resolver, toDid);
  } catch (e) {
    // Without forwarding the endpoint is only informative; with it, it is required.
    if (o.forward) throw e;
  }
  if (service) {
    result.serviceMetadata = { id: service.id, serviceEndpoint: service.uri };
    if (o.forward && service.routingKeys.length > 0) {
      result.packed = await wrapInForward(result.packed, { to: o.to, routingKeys: service.routingKeys, resolver, enc, headers: o.forwardHeaders });
    }
  }
  return result;
}
