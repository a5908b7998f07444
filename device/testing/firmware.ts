/**
 * Test fixtures for firmware in the device agent (neutral: Node and XS):
 * releases signed with the test manufacturer's assertion key (the key of
 * its did:webvh that the device pinned at manufacture), and the SUIT
 * vendor/class ids the test device is built with.
 */
import { ed25519CoseSigner } from '../../protocols/firmware/cose-sign1.ts';
import { signEnvelope } from '../../protocols/firmware/envelope.ts';
import { encodeManifest } from '../../protocols/firmware/manifest.ts';
import { getCrypto } from '../../protocols/crypto/index.ts';
import { base64urlEncode } from '../../protocols/encoding/base64url.ts';
import type { FirmwareOptions } from '../firmware.ts';
import { CLASS_ID, VENDOR_ID } from '../updater/testbed.ts';
import type { TestManufacturer } from './fixtures.ts';

export { makeImage, sha256Hex } from '../updater/testbed.ts';

/** The firmware options of the test grinder. */
export const TEST_FIRMWARE: FirmwareOptions = { vendorId: VENDOR_ID, classId: CLASS_ID, checkpointBytes: 2048 };

export interface TestRelease {
  /** SUIT envelope, base64url (what the announce message carries). */
  envelope: string;
  uri: string;
  image: Uint8Array;
  sequence: number;
}

/**
 * A release of `image` as `sequence`, signed by the manufacturer of `testManufacturer(seedByte)`.
 * `signSeed` signs with another key under the same kid (a forgery).
 */
export async function testRelease(mfr: TestManufacturer, o: { sequence: number; image: Uint8Array; seedByte?: number; signSeed?: Uint8Array; uri?: string }): Promise<TestRelease> {
  const uri = o.uri ?? `https://grinders.example/firmware/${o.sequence}.bin`;
  const manifest = encodeManifest({
    sequenceNumber: o.sequence,
    vendorId: VENDOR_ID,
    classId: CLASS_ID,
    image: { digest: getCrypto().sha256(o.image), size: o.image.length },
    uri,
  });
  const seed = o.signSeed ?? new Uint8Array(32).fill(o.seedByte ?? 1);
  const envelope = await signEnvelope(manifest, ed25519CoseSigner(seed, mfr.signer.verificationMethod));
  return { envelope: base64urlEncode(envelope), uri, image: o.image, sequence: o.sequence };
}
