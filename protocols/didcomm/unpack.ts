/**
 * Unpacking any DIDComm v2 message (plaintext, signed, anoncrypt, authcrypt
 * and their allowed nestings) with every receiver check the spec asks for:
 *
 *  - size: at most `maxBytes` (advertised as `max_receive_bytes`), checked
 *    BEFORE any parsing;
 *  - layers in the order the spec's media-type table allows, outermost
 *    first: [anoncrypt] [authcrypt] [signed] plaintext, each at most once
 *    (anoncrypt(authcrypt(signed)) is accepted: Appendix C.3 has one);
 *  - authcrypt: `skid` (or `apu`) names a key in the `keyAgreement` of its
 *    DID, and that DID is the plaintext `from` (`didcomm.sender_mismatch`);
 *  - signed: the JWS `kid` is in the `authentication` of its DID (checked
 *    before the signature, as the spec asks), and that DID is the plaintext
 *    `from` (`didcomm.signer_mismatch`);
 *  - every decrypting key's DID is in the plaintext `to`, when `to` is
 *    present (`didcomm.recipient_mismatch`; spec §Message Layer Addressing
 *    Consistency says MUST error, while §Message Headers says a receiver
 *    MUST NOT fail on a `to` without it: we follow the stricter rule, which
 *    is the one about envelopes);
 *  - `expires_time` against `now` (`didcomm.expired`), then the replay guard
 *    on (from, id) (`didcomm.replayed`) — last, so only messages that passed
 *    every other check take a slot in it.
 *
 * Every error is a DidcommError with a stable code; nothing reachable from
 * the wire throws anything else.
 */
import type { PublicKey } from '../did/keys.ts';
import type { DidResolver } from '../did/types.ts';
import { equalBytes, utf8Decode, utf8Encode } from '../encoding/bytes.ts';
import { DidcommError, isSsiotError } from '../errors.ts';
import { memoResolver, relationshipKey } from './did-keys.ts';
import { sharedEcdhCache, type EcdhCache } from './ecdh.ts';
import { parseForward } from './forward.ts';
import { decryptJwe, isJwe, malformed, parseJwe, type ContentEncryption, type ParsedJwe } from './jwe.ts';
import { isJws, parseJws, verifyJwsSignature, type JwsAlgorithm } from './jws.ts';
import { didOf, isJsonObject, validatePlaintext, type PlaintextMessage } from './message.ts';
import type { ReplayGuard } from './replay.ts';
import type { SecretsResolver } from './secrets.ts';

/** Default `max_receive_bytes`: 1 MiB. A device advertises (and passes) its own, smaller limit. */
export const DEFAULT_MAX_RECEIVE_BYTES = 1 << 20;

/** How many re-wrapping forwards are unwrapped at most (unwrapReWrappingForward). */
const MAX_FORWARD_UNWRAP = 3;

export interface UnpackOptions {
  resolver: DidResolver;
  secrets: SecretsResolver;
  /** Decrypt with every recipient key we hold and insist all give the same plaintext. */
  expectDecryptByAllKeys?: boolean;
  /** A forward addressed to us that wraps a message for us is unwrapped too (mediator re-wrapping). */
  unwrapReWrappingForward?: boolean;
  replayGuard?: ReplayGuard;
  /** Current time, UTC epoch seconds (default: the clock). */
  now?: number;
  /** Largest accepted message in UTF-8 bytes (default DEFAULT_MAX_RECEIVE_BYTES). */
  maxBytes?: number;
  /** Static-static ECDH cache for authcrypt (default: the shared one; null: none). */
  ecdhCache?: EcdhCache | null;
}

/** Everything unpack learned about the envelope (didcomm-rust's UnpackMetadata, JOSE names for algorithms). */
export interface UnpackMetadata {
  encrypted: boolean;
  /** The sender is proven: authcrypt or a signature. */
  authenticated: boolean;
  /** Signed: the sender can be proven to third parties (see signed_message). */
  non_repudiation: boolean;
  /** The outermost encryption did not reveal the sender (anoncrypt, including anoncrypt(authcrypt)). */
  anonymous_sender: boolean;
  re_wrapped_in_forward: boolean;
  /** authcrypt sender key id (`skid`). */
  encrypted_from_kid?: string;
  /** Recipient key ids of the encryption that targeted us (the innermost layer). */
  encrypted_to_kids?: string[];
  /** Signing key id. */
  sign_from?: string;
  /** Content encryption of the authcrypt layer (its key wrapping is ECDH-1PU+A256KW). */
  enc_alg_auth?: 'A256CBC-HS512';
  /** Content encryption of the anoncrypt layer (its key wrapping is ECDH-ES+A256KW). */
  enc_alg_anon?: ContentEncryption;
  sign_alg?: JwsAlgorithm;
  /** The signed message (JWS JSON text), kept as proof for third parties. */
  signed_message?: string;
}

export interface UnpackResult {
  message: PlaintextMessage;
  metadata: UnpackMetadata;
}

/** The `metadata` object of `ssiot didcomm unpack` (shared/CLI.md): its keys, absent values as null. */
export interface CliUnpackMetadata {
  encrypted: boolean;
  authenticated: boolean;
  non_repudiation: boolean;
  anonymous_sender: boolean;
  encrypted_from_kid: string | null;
  encrypted_to_kids: string[] | null;
  sign_from: string | null;
  /**
   * `<alg>/<enc>` of the outermost encryption, e.g. `ECDH-ES+A256KW/XC20P` or
   * `ECDH-1PU+A256KW/A256CBC-HS512`; null when not encrypted. (CLI.md names
   * the key, not its form: this is the choice.)
   */
  enc_alg: string | null;
  re_wrapped_in_forward: boolean;
}

/** Project full metadata onto the CLI contract's keys (plus re_wrapped_in_forward, an addition). */
export function cliMetadata(md: UnpackMetadata): CliUnpackMetadata {
  let encAlg: string | null = null;
  if (md.enc_alg_anon !== undefined) encAlg = `ECDH-ES+A256KW/${md.enc_alg_anon}`;
  else if (md.enc_alg_auth !== undefined) encAlg = `ECDH-1PU+A256KW/${md.enc_alg_auth}`;
  return {
    encrypted: md.encrypted,
    authenticated: md.authenticated,
    non_repudiation: md.non_repudiation,
    anonymous_sender: md.anonymous_sender,
    encrypted_from_kid: md.encrypted_from_kid ?? null,
    encrypted_to_kids: md.encrypted_to_kids ?? null,
    sign_from: md.sign_from ?? null,
    enc_alg: encAlg,
    re_wrapped_in_forward: md.re_wrapped_in_forward,
  };
}

/** UTF-8 length of `s` without encoding it when the answer is clear from its UTF-16 length. */
function utf8Length(s: string, limit: number): number {
  if (s.length > limit) return s.length; // every code unit takes at least one byte
  if (s.length * 3 <= limit) return s.length; // at most three bytes per code unit
  return utf8Encode(s).length;
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (e) {
    throw malformed(`${what} is not JSON`, e);
  }
  if (!isJsonObject(x)) throw malformed(`${what} is not a JSON object`);
  return x;
}

function jsonFromBytes(b: Uint8Array, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = utf8Decode(b);
  } catch (e) {
    throw malformed(`${what} is not UTF-8`, e);
  }
  return parseJsonObject(text, what);
}

/** Any non-DIDComm error from below becomes a DidcommError (`code`), keeping the original as cause. */
function asDidcomm(e: unknown, code: `didcomm.${string}`, what: string): DidcommError {
  if (e instanceof DidcommError) return e;
  return new DidcommError(code, `${what} (${isSsiotError(e) ? e.code : 'error'})`, { cause: e });
}

interface Context {
  o: UnpackOptions;
  resolver: DidResolver;
  cache: EcdhCache | null;
}

/** Decrypt with our keys; returns the plaintext and the kid that opened it. */
async function decryptLayer(ctx: Context, jwe: ParsedJwe): Promise<{ bytes: Uint8Array; kids: string[] }> {
  const mine = await ctx.o.secrets.findSecrets(jwe.recipients.map((r) => r.kid));
  if (mine.length === 0) throw new DidcommError('didcomm.unknown_recipient', 'the message is not encrypted to any key we hold');
  let sender: PublicKey | undefined;
  if (jwe.skid !== undefined) sender = await relationshipKey(ctx.resolver, jwe.skid, 'keyAgreement', 'didcomm.unknown_sender_key');
  let opened: Uint8Array | undefined;
  const used: string[] = [];
  let failure: unknown;
  for (const kid of mine) {
    const secret = await ctx.o.secrets.getSecret(kid);
    if (!secret) continue;
    const encryptedKey = jwe.recipients.find((r) => r.kid === kid)!.encryptedKey;
    let bytes: Uint8Array;
    try {
      bytes = decryptJwe(jwe, { recipient: secret, encryptedKey, sender, ecdhCache: ctx.cache });
    } catch (e) {
      if (ctx.o.expectDecryptByAllKeys) throw e;
      failure = e;
      continue;
    }
    if (opened !== undefined && !equalBytes(opened, bytes)) throw new DidcommError('didcomm.decrypt_failed', 'recipients decrypt to different plaintexts');
    opened = bytes;
    used.push(kid);
    if (!ctx.o.expectDecryptByAllKeys) break;
  }
  if (opened === undefined) throw failure ? asDidcomm(failure, 'didcomm.decrypt_failed', 'decryption failed') : new DidcommError('didcomm.unknown_recipient', 'no secret available for our recipient keys');
  return { bytes: opened, kids: used };
}

/** Unpack one chain of layers ending in a plaintext. */
async function unpackLayers(ctx: Context, outer: Record<string, unknown>, outerText: string | undefined, forwardDepth: number): Promise<UnpackResult> {
  const md: UnpackMetadata = { encrypted: false, authenticated: false, non_repudiation: false, anonymous_sender: false, re_wrapped_in_forward: false };
  const decryptingKids: string[] = [];
  let authSkid: string | undefined;
  let current = outer;
  let currentText = outerText;
  // 0: nothing yet; 1: after anoncrypt; 2: after authcrypt; 3: after signed.
  let stage = 0;
  let message: PlaintextMessage;
  for (;;) {
    if (isJwe(current)) {
      const jwe = parseJwe(current);
      const auth = jwe.alg === 'ECDH-1PU+A256KW';
      if (stage >= (auth ? 2 : 1)) throw malformed(`${auth ? 'authcrypt' : 'anoncrypt'} may not be nested inside ${['', 'anoncrypt', 'authcrypt', 'a signature'][stage]}`);
      stage = auth ? 2 : 1;
      const { bytes, kids } = await decryptLayer(ctx, jwe);
      decryptingKids.push(...kids);
      md.encrypted = true;
      md.encrypted_to_kids = jwe.recipients.map((r) => r.kid);
      if (auth) {
        md.authenticated = true;
        md.encrypted_from_kid = jwe.skid;
        md.enc_alg_auth = 'A256CBC-HS512';
        authSkid = jwe.skid;
      } else {
        md.anonymous_sender = true;
        md.enc_alg_anon = jwe.enc;
      }
      current = jsonFromBytes(bytes, 'decrypted payload');
      currentText = undefined;
      continue;
    }
    if (isJws(current)) {
      if (stage >= 3) throw malformed('a signed message may only contain a plaintext');
      stage = 3;
      const jws = parseJws(current);
      const inner = jsonFromBytes(jws.payload, 'JWS payload');
      if (isJwe(inner) || isJws(inner)) throw malformed('a signed message may only contain a plaintext');
      message = validatePlaintext(inner);
      // Authorization before cryptography (spec §Message Signing, Verification).
      for (const sig of jws.signatures) {
        if (message.from === undefined || didOf(sig.kid) !== message.from) {
          throw new DidcommError('didcomm.signer_mismatch', 'the signing key is not of the message\'s from DID');
        }
      }
      for (const sig of jws.signatures) {
        const key = await relationshipKey(ctx.resolver, sig.kid, 'authentication', 'didcomm.unknown_sender_key');
        if (!verifyJwsSignature(jws, sig, key)) throw new DidcommError('didcomm.invalid_signature', 'the JWS signature does not verify');
      }
      md.non_repudiation = true;
      md.authenticated = true;
      md.sign_from = jws.signatures[0].kid;
      md.sign_alg = jws.signatures[0].alg;
      md.signed_message = currentText ?? JSON.stringify(current);
      break;
    }
    message = validatePlaintext(current);
    break;
  }

  if (authSkid !== undefined && (message.from === undefined || didOf(authSkid) !== message.from)) {
    throw new DidcommError('didcomm.sender_mismatch', 'the authcrypt sender key is not of the message\'s from DID');
  }
  if (message.to !== undefined) {
    const to = message.to.map((t) => didOf(t));
    for (const kid of decryptingKids) {
      if (!to.includes(didOf(kid))) throw new DidcommError('didcomm.recipient_mismatch', 'the message was encrypted to a key whose DID is not in its to');
    }
  }

  if (ctx.o.unwrapReWrappingForward && forwardDepth < MAX_FORWARD_UNWRAP) {
    const fwd = parseForward(message);
    if (fwd && isJwe(fwd.forwarded)) {
      const kids = parseJwe(fwd.forwarded).recipients.map((r) => r.kid);
      if ((await ctx.o.secrets.findSecrets(kids)).length > 0) {
        const inner = await unpackLayers(ctx, fwd.forwarded, undefined, forwardDepth + 1);
        inner.metadata.re_wrapped_in_forward = true;
        return inner;
      }
    }
  }
  return { message, metadata: md };
}

/**
 * Unpack `packed` (JSON text, or an already parsed object) as the holder of
 * `o.secrets`. Returns the plaintext and what protected it; throws
 * DidcommError on anything the checks above refuse.
 */
export async function unpack(packed: string | object, o: UnpackOptions): Promise<UnpackResult> {
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
  let text: string | undefined;
  let obj: Record<string, unknown>;
  if (typeof packed === 'string') {
    if (utf8Length(packed, maxBytes) > maxBytes) throw new DidcommError('didcomm.too_large', `message larger than ${maxBytes} bytes`);
    text = packed;
    obj = parseJsonObject(packed, 'message');
  } else {
    if (!isJsonObject(packed)) throw malformed('message is not a JSON object');
    let serialized: string;
    try {
      serialized = JSON.stringify(packed);
    } catch (e) {
      throw malformed('message object is not JSON data', e);
    }
    if (utf8Length(serialized, maxBytes) > maxBytes) throw new DidcommError('didcomm.too_large', `message larger than ${maxBytes} bytes`);
    obj = packed;
  }
  const ctx: Context = { o, resolver: memoResolver(o.resolver), cache: o.ecdhCache === undefined ? sharedEcdhCache : o.ecdhCache };
  let result: UnpackResult;
  try {
    result = await unpackLayers(ctx, obj, text, 0);
  } catch (e) {
    throw asDidcomm(e, 'didcomm.malformed', 'the message could not be unpacked');
  }
  const now = o.now ?? Math.floor(Date.now() / 1000);
  const { message } = result;
  if (message.expires_time !== undefined && now > message.expires_time) throw new DidcommError('didcomm.expired', 'the message has expired');
  if (o.replayGuard) {
    try {
      await o.replayGuard.check(message.from, message.id, now, message.expires_time);
    } catch (e) {
      throw asDidcomm(e, 'didcomm.replayed', 'replay guard refused the message');
    }
  }
  return result;
}
