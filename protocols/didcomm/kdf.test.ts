/**
 * Concat KDF (NIST SP 800-56A §5.8.1 as RFC 7518 §4.6.2 profiles it).
 * Vector: RFC 7518 Appendix C (ECDH-ES, A128GCM, apu "Alice", apv "Bob").
 * The ECDH-1PU tag-bound form is checked end to end by the Appendix C.3
 * authcrypt vectors of DIDComm (vectors.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { concatKdf } from './kdf.ts';

const Z = new Uint8Array([
  158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
]);

describe('Concat KDF', () => {
  it('RFC 7518 Appendix C: the A128GCM key from Z, "Alice", "Bob"', () => {
    expect(base64urlEncode(concatKdf(Z, 128, 'A128GCM', utf8Encode('Alice'), utf8Encode('Bob')))).toBe('VqqN6vgjbSBcIijNcacQGg');
  });

  it('every input changes the key; the cc tag is length-prefixed, not just appended', () => {
    const e = new Uint8Array(0);
    const base = base64urlEncode(concatKdf(Z, 256, 'ECDH-1PU+A256KW', e, e, new Uint8Array([1, 2])));
    expect(concatKdf(Z, 256, 'ECDH-1PU+A256KW', e, e)).toHaveLength(32);
    for (const other of [
      concatKdf(Z, 256, 'ECDH-ES+A256KW', e, e, new Uint8Array([1, 2])),
      concatKdf(Z, 256, 'ECDH-1PU+A256KW', utf8Encode('a'), e, new Uint8Array([1, 2])),
      concatKdf(Z, 256, 'ECDH-1PU+A256KW', e, utf8Encode('a'), new Uint8Array([1, 2])),
      concatKdf(Z, 256, 'ECDH-1PU+A256KW', e, e, new Uint8Array([1, 3])),
      concatKdf(Z, 256, 'ECDH-1PU+A256KW', e, e),
      concatKdf(Z.subarray(1), 256, 'ECDH-1PU+A256KW', e, e, new Uint8Array([1, 2])),
    ]) {
      expect(base64urlEncode(other)).not.toBe(base);
    }
    // Moving the tag's bytes into apv must not give the same input (length prefixes keep fields apart).
    expect(base64urlEncode(concatKdf(Z, 256, 'ECDH-1PU+A256KW', e, new Uint8Array([0, 0, 0, 2, 1, 2])))).not.toBe(base);
  });

  it('refuses key lengths one SHA-256 round cannot give', () => {
    const e = new Uint8Array(0);
    expectCode(() => concatKdf(Z, 512, 'x', e, e), 'didcomm.invalid_argument');
    expectCode(() => concatKdf(Z, 0, 'x', e, e), 'didcomm.invalid_argument');
    expectCode(() => concatKdf(Z, 100, 'x', e, e), 'didcomm.invalid_argument');
  });
});
