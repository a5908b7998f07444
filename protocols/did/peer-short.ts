/**
 * Short forms of peer DIDs. did:peer:3 (of a did:peer:2) and the short form
 * of a did:peer:4 are the same construction: "z" + base58btc(sha2-256
 * multihash of the UTF-8 text of the long form's tail). A hash cannot be
 * resolved by itself: only someone who has seen the long form can, so short
 * forms resolve through a long form the caller supplies, directly
 * (`longForm`) or from what it has seen (`store`, see peer-store.ts).
 */
import { getCrypto } from '../crypto/index.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { multibaseDecode, multibaseEncode } from '../encoding/multibase.ts';
import { decodeMultihash, multihashSha256 } from '../encoding/multihash.ts';
import { DidError } from '../errors.ts';

/** Looks up the long form of a short-form peer DID that was seen before. */
export interface PeerDidLookup {
  /** The long form whose short form is `shortDid`, or undefined when never seen. */
  longFormOf(shortDid: string): string | undefined;
}

/** How a short-form peer DID finds its long form; `longForm` wins over `store`. */
export interface ShortFormOptions {
  /** The long form, e.g. received with a message; must hash to the short form. */
  longForm?: string;
  /** Long forms seen earlier. */
  store?: PeerDidLookup;
}

/** "z" + base58btc(multihash sha2-256(UTF-8 `text`)). */
export function peerHash(text: string): string {
  return multibaseEncode(multihashSha256(getCrypto().sha256(utf8Encode(text))), 'base58btc');
}

/** True when `s` is "z" + base58btc of a sha2-256 multihash (the hash part of a short form). */
export function isPeerHash(s: string): boolean {
  if (s[0] !== 'z') return false;
  try {
    return decodeMultihash(multibaseDecode(s)).name === 'sha2-256';
  } catch {
    return false;
  }
}

/**
 * The long form for `shortDid`: `options.longForm` when given, else the
 * store's. None -> `did.not_found` (the spec's only possible answer); a
 * given long form that does not hash to `shortDid` -> `did.invalid`.
 * `shortFormOf` computes a long form's short form (and checks its syntax).
 */
export function longFormFor(shortDid: string, options: ShortFormOptions, shortFormOf: (longForm: string) => string): string {
  const longForm = options.longForm ?? options.store?.longFormOf(shortDid);
  if (longForm === undefined) throw new DidError('did.not_found', `${shortDid} is a short form; its long form is not known`);
  if (typeof longForm !== 'string' || shortFormOf(longForm) !== shortDid) {
    throw new DidError('did.invalid', `the long form given for ${shortDid} does not hash to it`);
  }
  return longForm;
}
