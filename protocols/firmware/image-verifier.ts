/**
 * Streaming check of a firmware image against its manifest: hash each chunk
 * as it arrives (the host's streaming SHA-256 through the crypto facade —
 * native `Digest` on Moddable, node:crypto in Node), refuse the first byte
 * beyond the stated size at once (so endless data never reaches flash),
 * and compare the digest when the last byte is in. Memory use is the hash
 * state: independent of the image size.
 */
import type { Hash } from '../crypto/index.ts';
import { equalBytes } from '../encoding/bytes.ts';
import { FirmwareError } from '../errors.ts';
import { createSuitHash, type SuitDigest } from './digest.ts';

export interface ExpectedImage {
  digest: SuitDigest;
  size: number;
}

export class ImageVerifier {
  readonly expected: ExpectedImage;
  private hash: Hash;
  private count = 0;
  private state: 'open' | 'failed' | 'done' = 'open';

  constructor(expected: ExpectedImage) {
    if (!Number.isSafeInteger(expected.size) || expected.size < 0) throw new FirmwareError('firmware.invalid_manifest', 'image size must be an unsigned integer');
    this.expected = { digest: { algorithm: expected.digest.algorithm, bytes: expected.digest.bytes.slice() }, size: expected.size };
    this.hash = createSuitHash(expected.digest.algorithm);
  }

  /** Bytes accepted so far (the offset to resume a download from). */
  get received(): number {
    return this.count;
  }

  /** Bytes still expected. */
  get remaining(): number {
    return this.expected.size - this.count;
  }

  /**
   * Accepts the next chunk. A chunk that would take the image past its size
   * is refused whole, before it is hashed: `firmware.image_too_long`, and the
   * verifier stays failed.
   */
  update(chunk: Uint8Array): void {
    if (this.state !== 'open') throw new FirmwareError('firmware.verifier_closed', `image verifier is ${this.state}`);
    if (!(chunk instanceof Uint8Array)) throw new FirmwareError('firmware.malformed', 'image chunks are bytes');
    if (chunk.length > this.remaining) {
      this.state = 'failed';
      throw new FirmwareError('firmware.image_too_long', `image is longer than the ${this.expected.size} bytes the manifest states`);
    }
    this.hash.update(chunk);
    this.count += chunk.length;
  }

  /**
   * Ends the image: fewer bytes than stated is `firmware.image_too_short`, a
   * different digest `firmware.digest_mismatch`. Returns the digest.
   */
  finish(): SuitDigest {
    if (this.state !== 'open') throw new FirmwareError('firmware.verifier_closed', `image verifier is ${this.state}`);
    if (this.count < this.expected.size) {
      this.state = 'failed';
      throw new FirmwareError('firmware.image_too_short', `image ended after ${this.count} of ${this.expected.size} bytes`);
    }
    const bytes = this.hash.digest();
    if (!equalBytes(bytes, this.expected.digest.bytes)) {
      this.state = 'failed';
      throw new FirmwareError('firmware.digest_mismatch', 'image digest differs from the manifest');
    }
    this.state = 'done';
    return { algorithm: this.expected.digest.algorithm, bytes };
  }
}
