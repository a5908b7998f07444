/**
 * The Concat KDF of NIST SP 800-56A §5.8.1 as JOSE uses it (RFC 7518
 * §4.6.2), with SHA-256, for the 256-bit key-wrapping keys of ECDH-ES+A256KW
 * and ECDH-1PU+A256KW:
 *
 *   K = SHA-256( 00000001 || Z || OtherInfo )
 *   OtherInfo = len‖AlgorithmID || len‖PartyUInfo || len‖PartyVInfo || SuppPubInfo
 *   SuppPubInfo = keydatalen (bits, uint32 BE) [ || len‖cctag ]   (SuppPrivInfo empty)
 *
 * "len‖x" is x prefixed with its length in bytes as a 32-bit big-endian
 * integer. The `cctag` part is draft-madden-jose-ecdh-1pu-04 §2.3: in key
 * agreement with key wrapping mode, the content-encryption tag is appended to
 * SuppPubInfo as a length-prefixed Data value, which binds the wrapped key to
 * the ciphertext (so content encryption happens before key wrapping).
 */
import { getCrypto } from '../crypto/index.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { DidcommError } from '../errors.ts';

function uint32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/**
 * A `keyBits`-bit key (at most 256: one SHA-256 round, all JOSE key wrapping
 * needs) from shared secret `z` (for ECDH-1PU: Ze || Zs). `alg` is the
 * AlgorithmID (the JWE `alg`, or `enc` in direct key agreement).
 */
export function concatKdf(z: Uint8Array, keyBits: number, alg: string, apu: Uint8Array, apv: Uint8Array, ccTag?: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(keyBits) || keyBits <= 0 || keyBits > 256 || keyBits % 8 !== 0) {
    throw new DidcommError('didcomm.invalid_argument', 'Concat KDF key length must be 8..256 bits, whole bytes');
  }
  const algId = utf8Encode(alg);
  const h = getCrypto().createHash('sha256');
  h.update(uint32(1)).update(z);
  h.update(uint32(algId.length)).update(algId);
  h.update(uint32(apu.length)).update(apu);
  h.update(uint32(apv.length)).update(apv);
  h.update(uint32(keyBits));
  if (ccTag !== undefined) h.update(uint32(ccTag.length)).update(ccTag);
  return h.digest().subarray(0, keyBits / 8);
}
