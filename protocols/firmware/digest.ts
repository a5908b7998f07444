/**
 * SUIT_Digest = [algorithm-id, digest-bytes] (draft-ietf-suit-manifest §"SUIT_Digest").
 *
 * The digest algorithms a device can compute are those of the crypto facade
 * (SHA-256, REQUIRED by the draft, and SHA-512); SHAKE and SHA-384 are
 * OPTIONAL in the draft and refused here with `firmware.unsupported_algorithm`.
 */
import { getCrypto, type Hash, type HashName } from '../crypto/index.ts';
import { FirmwareError } from '../errors.ts';
import { COSE_ALG } from './labels.ts';

export type SuitDigestAlgorithm = 'sha-256' | 'sha-512';

export interface SuitDigest {
  algorithm: SuitDigestAlgorithm;
  bytes: Uint8Array;
}

const BY_ID: Record<number, { name: SuitDigestAlgorithm; hash: HashName; length: number }> = {
  [COSE_ALG.sha256]: { name: 'sha-256', hash: 'sha256', length: 32 },
  [COSE_ALG.sha512]: { name: 'sha-512', hash: 'sha512', length: 64 },
};

const ID_OF: Record<SuitDigestAlgorithm, number> = { 'sha-256': COSE_ALG.sha256, 'sha-512': COSE_ALG.sha512 };

function malformed(message: string): FirmwareError {
  return new FirmwareError('firmware.malformed', message);
}

/** The SUIT_Digest CBOR value (`[alg, bytes]`) for encoding. */
export function suitDigestValue(d: SuitDigest): [number, Uint8Array] {
  const id = ID_OF[d.algorithm];
  if (id === undefined) throw new FirmwareError('firmware.unsupported_algorithm', `unsupported digest algorithm ${String(d.algorithm)}`);
  if (!(d.bytes instanceof Uint8Array) || d.bytes.length !== BY_ID[id].length) {
    throw new FirmwareError('firmware.invalid_manifest', `${d.algorithm} digest must be ${BY_ID[id].length} bytes`);
  }
  return [id, d.bytes];
}

/**
 * A decoded SUIT_Digest. Extensions after the two members (`$$SUIT_Digest-extensions`)
 * are tolerated and ignored, as the CDDL allows them.
 */
export function parseSuitDigest(v: unknown, where: string): SuitDigest {
  if (!Array.isArray(v) || v.length < 2) throw malformed(`${where}: SUIT_Digest must be [algorithm-id, digest-bytes]`);
  const [id, bytes] = v;
  if (typeof id !== 'number' || !Number.isInteger(id)) throw malformed(`${where}: digest algorithm-id must be an integer`);
  if (!(bytes instanceof Uint8Array)) throw malformed(`${where}: digest-bytes must be a byte string`);
  const alg = BY_ID[id];
  if (!alg) throw new FirmwareError('firmware.unsupported_algorithm', `${where}: unsupported digest algorithm ${id}`);
  if (bytes.length !== alg.length) throw malformed(`${where}: ${alg.name} digest must be ${alg.length} bytes`);
  return { algorithm: alg.name, bytes };
}

/** A streaming hash for a SUIT digest algorithm, from the crypto facade (so a host's native digest is used). */
export function createSuitHash(algorithm: SuitDigestAlgorithm): Hash {
  const id = ID_OF[algorithm];
  if (id === undefined) throw new FirmwareError('firmware.unsupported_algorithm', `unsupported digest algorithm ${String(algorithm)}`);
  return getCrypto().createHash(BY_ID[id].hash);
}

/** One-shot digest of `data`. */
export function suitDigestOf(algorithm: SuitDigestAlgorithm, data: Uint8Array): SuitDigest {
  return { algorithm, bytes: createSuitHash(algorithm).update(data).digest() };
}
