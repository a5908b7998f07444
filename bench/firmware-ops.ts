/**
 * Firmware verification operations for bench/firmware.ts, written once for
 * every engine (Node with noble or node:crypto, XS through
 * bench/firmware-xs-payload.ts). Platform-neutral: fixtures are built in
 * Node (signing needs the manufacturer's keys) and handed over as JSON, so
 * every engine verifies exactly the same bytes.
 */
import type { PublicKey } from '../protocols/did/keys.ts';
import type { LogEntry, WebvhState } from '../protocols/did/webvh/types.ts';
import { verifyLog, verifyLogFrom } from '../protocols/did/webvh/verify.ts';
import { hexToBytes } from '../protocols/encoding/bytes.ts';
import { verifyEnvelope } from '../protocols/firmware/envelope.ts';
import { ImageVerifier } from '../protocols/firmware/image-verifier.ts';
import { authenticateRelease } from '../device/updater/release.ts';
import { getCrypto } from '../protocols/crypto/index.ts';
import { makeImage } from '../device/updater/testbed.ts';

/** What the Node side prepares once and every engine verifies. */
export interface FirmwareFixture {
  /** A 10-entry did:webvh log (create + 9 updates, one key rotation included). */
  log: LogEntry[];
  /** Clock for the versionTime checks. */
  now: number;
  /** SUIT envelope signed (EdDSA) by the key of the log's last document, kid = its DID URL. */
  envelopeHex: string;
  /** draft example 1, ES256, and its public key (SEC1 hex). */
  es256EnvelopeHex: string;
  es256PublicKeyHex: string;
}

export interface FirmwareBenchOp {
  readonly name: string;
  /** Bytes hashed per operation (throughput rows). */
  readonly bytes?: number;
  prepare(f: FirmwareFixture): () => Promise<unknown>;
}

/** Image size for the in-engine hashing row: small enough for XS (pure-JS SHA-256). */
export const XS_IMAGE_BYTES = 256 * 1024;

export const FIRMWARE_BENCH_OPS: readonly FirmwareBenchOp[] = [
  {
    name: 'manifest verify (EdDSA, DID key)',
    prepare(f) {
      const state = verifyLog(f.log, { now: f.now });
      const envelope = hexToBytes(f.envelopeHex);
      return async () => {
        const r = await authenticateRelease(envelope, state);
        if (r.target.sequenceNumber < 0) throw new Error('unreachable');
      };
    },
  },
  {
    name: 'manifest verify (ES256, draft ex. 1)',
    prepare(f) {
      const envelope = hexToBytes(f.es256EnvelopeHex);
      const key: PublicKey = { kind: 'P-256', bytes: hexToBytes(f.es256PublicKeyHex) };
      return async () => {
        await verifyEnvelope(envelope, { publicKeyFor: () => key });
      };
    },
  },
  {
    name: 'DID log verify (10 entries)',
    prepare(f) {
      return async () => {
        const s = verifyLog(f.log, { now: f.now });
        if (s.versionNumber !== 10) throw new Error('expected 10 entries');
      };
    },
  },
  {
    name: 'DID log verify from anchor (+9)',
    prepare(f) {
      const anchor: WebvhState = verifyLog(f.log.slice(0, 1), { now: f.now });
      const rest = f.log.slice(1);
      return async () => {
        const s = verifyLogFrom(anchor, rest, { now: f.now });
        if (s.versionNumber !== 10) throw new Error('expected 10 entries');
      };
    },
  },
  {
    name: 'image verify 256 KiB (64 KiB chunks)',
    bytes: XS_IMAGE_BYTES,
    prepare() {
      const image = makeImage(XS_IMAGE_BYTES, 5);
      const digest = { algorithm: 'sha-256' as const, bytes: getCrypto().sha256(image) };
      return async () => {
        const v = new ImageVerifier({ digest, size: image.length });
        for (let o = 0; o < image.length; o += 65536) v.update(image.subarray(o, o + 65536));
        v.finish();
      };
    },
  },
];
