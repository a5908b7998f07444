/**
 * `ssiot firmware sign|inspect|verify` (shared/CLI.md).
 *
 * `sign --dir DIR` reads a manufacturer directory as `ssiot did webvh
 * create` writes it: DIR/did.jsonl (the did:webvh log, verified here) and
 * DIR/secrets.json (JWK secrets whose ids are DID URLs of the DID's
 * verification methods). The signing key is the secret of a verification
 * method listed under the *current* document's assertionMethod; its DID URL
 * becomes the COSE kid. Ed25519 signs EdDSA, P-256 ES256.
 *
 * `verify` checks a manifest and an image the way a device does
 * (device/updater/release.ts): the log verified from its first entry, or
 * incrementally from `--anchor-version N` (the device's anchor), the
 * signature by an assertionMethod key of the resulting document, the image
 * streamed through the SUIT ImageVerifier, and optionally vendor, class and
 * anti-rollback. Output `{valid, sequence, signer, reasons:[{code, message}]}`,
 * exit 1 when not valid.
 *
 * Choice: without --uri the manifest names the image by its file name (a
 * relative reference the distributor resolves), since a manifest must carry
 * a fetch URI.
 */
import { closeSync, existsSync, openSync, readSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { getCrypto, installCrypto } from '../protocols/crypto/index.ts';
import type { ParsedSecret } from '../protocols/did/keys.ts';
import { parseLog } from '../protocols/did/webvh/log.ts';
import type { WebvhState } from '../protocols/did/webvh/types.ts';
import { verifyLog, verifyLogFrom } from '../protocols/did/webvh/verify.ts';
import { bytesToHex } from '../protocols/encoding/bytes.ts';
import { FirmwareError, isSsiotError, SsiotError } from '../protocols/errors.ts';
import { ed25519CoseSigner, es256CoseSigner, type CoseSigner } from '../protocols/firmware/cose-sign1.ts';
import { decodeEnvelope, signEnvelope } from '../protocols/firmware/envelope.ts';
import { ImageVerifier } from '../protocols/firmware/image-verifier.ts';
import { inspectEnvelope } from '../protocols/firmware/inspect.ts';
import { encodeManifest } from '../protocols/firmware/manifest.ts';
import { firmwareTarget, type FirmwareTarget } from '../protocols/firmware/target.ts';
import { uuidToBytes } from '../protocols/firmware/uuid.ts';
import { advanceManufacturer, authenticateRelease, checkRelease } from '../device/updater/release.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { UsageError, type Command } from './command.ts';
import { readBinary, readSecrets, readTextFile, str } from './io.ts';

function uintOption(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--${name} must be an unsigned integer`);
  return Number(v);
}

function uuidOption(v: unknown, name: string): Uint8Array | undefined {
  if (v === undefined) return undefined;
  try {
    return uuidToBytes(String(v));
  } catch {
    throw new UsageError(`--${name} must be a UUID like fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe`);
  }
}

/** Calls `fn` with the file's bytes in 64 KiB reads (memory independent of the file size). */
function forEachChunk(path: string, what: string, fn: (chunk: Uint8Array) => void): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SsiotError('cli.io', `cannot read ${what} ${path}: ${(e as { code?: string }).code ?? 'error'}`);
  }
  try {
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      fn(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** Streams an image file through the SUIT image verifier. */
function verifyImageFile(path: string, target: FirmwareTarget): void {
  const verifier = new ImageVerifier({ digest: target.digest, size: target.size });
  forEachChunk(path, 'image', (c) => verifier.update(c));
  verifier.finish();
}

/** Streaming SHA-256 and size of a file. */
function hashFile(path: string): { digest: Uint8Array; size: number } {
  const h = getCrypto().createHash('sha256');
  let size = 0;
  forEachChunk(path, 'image', (c) => {
    h.update(c);
    size += c.length;
  });
  return { digest: h.digest(), size };
}

/** The signing key of a manufacturer directory: a secret for an assertionMethod of the current document. */
function manufacturerSigner(dir: string): { state: WebvhState; signer: CoseSigner; secret: ParsedSecret } {
  const logPath = join(dir, 'did.jsonl');
  const state = verifyLog(parseLog(readTextFile(logPath, 'DID log')), { witnessProofs: witnessProofsBeside(logPath) });
  if (state.parameters.deactivated) throw new FirmwareError('firmware.manufacturer_deactivated', `${state.did} is deactivated`);
  const authorized = (state.document.assertionMethod ?? [])
    .map((r) => (typeof r === 'string' ? r : r.id))
    .map((r) => (r.startsWith('#') ? state.did + r : r));
  const secret = readSecrets(join(dir, 'secrets.json')).find((s) => authorized.includes(s.id));
  if (!secret) throw new FirmwareError('firmware.no_signing_key', `no secret in ${dir}/secrets.json for an assertionMethod of ${state.did}`);
  const { kind, bytes } = secret.privateKey;
  if (kind === 'Ed25519') return { state, secret, signer: ed25519CoseSigner(bytes, secret.id) };
  if (kind === 'P-256') return { state, secret, signer: es256CoseSigner(bytes, secret.id) };
  throw new FirmwareError('firmware.unsupported_algorithm', `${kind} keys cannot sign SUIT manifests here (EdDSA, ES256)`);
}

/** did-witness.json next to a log, when the DID uses witnesses. */
function witnessProofsBeside(logPath: string): string | undefined {
  const p = join(dirname(logPath), 'did-witness.json');
  return existsSync(p) ? readTextFile(p, 'witness proofs') : undefined;
}

interface Reason {
  code: string;
  message: string;
}

function reasonOf(e: unknown): Reason {
  if (isSsiotError(e)) return { code: e.code, message: e.message };
  throw e;
}

export const firmwareCommands: Command[] = [
  {
    path: ['firmware', 'sign'],
    summary: "wrap an image in a SUIT manifest signed with the manufacturer DID's assertionMethod key",
    usage: 'firmware sign --image FILE --vendor-id UUID --class-id UUID --seq N --dir MANUFACTURER_DID_DIR [--uri URL] --out MANIFEST',
    options: {
      image: { type: 'string', value: 'FILE', required: true, help: 'the firmware image' },
      'vendor-id': { type: 'string', value: 'UUID', required: true, help: 'SUIT vendor identifier' },
      'class-id': { type: 'string', value: 'UUID', required: true, help: 'SUIT class identifier' },
      seq: { type: 'string', value: 'N', required: true, help: 'manifest sequence number (anti-rollback counter)' },
      dir: { type: 'string', value: 'DIR', required: true, help: 'manufacturer directory from `did webvh create` (did.jsonl, secrets.json)' },
      uri: { type: 'string', value: 'URL', help: 'where devices download the image (default: the image file name)' },
      out: { type: 'string', value: 'MANIFEST', required: true, help: 'where to write the SUIT envelope (CBOR)' },
    },
    async run({ options }) {
      installCrypto(nodeCrypto);
      const imagePath = str(options.image) as string;
      const sequence = uintOption(options.seq, 'seq') as number;
      const vendorId = uuidOption(options['vendor-id'], 'vendor-id') as Uint8Array;
      const classId = uuidOption(options['class-id'], 'class-id') as Uint8Array;
      const { signer, state } = manufacturerSigner(str(options.dir) as string);
      const { digest, size } = hashFile(imagePath);
      const manifest = encodeManifest({ sequenceNumber: sequence, vendorId, classId, image: { digest, size }, uri: str(options.uri) ?? basename(imagePath) });
      const envelope = await signEnvelope(manifest, signer);
      try {
        writeFileSync(str(options.out) as string, envelope);
      } catch (e) {
        throw new SsiotError('cli.io', `cannot write ${String(options.out)}: ${(e as { code?: string }).code ?? 'error'}`);
      }
      return { output: { digest: bytesToHex(digest), size, sequence, kid: signer.kid, did: state.did, alg: signer.alg } };
    },
  },
  {
    path: ['firmware', 'inspect'],
    summary: 'show a SUIT envelope as JSON (labels named, no signature check)',
    usage: 'firmware inspect --manifest MANIFEST',
    options: { manifest: { type: 'string', value: 'MANIFEST', required: true, help: 'SUIT envelope (CBOR) file' } },
    async run({ options }) {
      return { output: inspectEnvelope(decodeEnvelope(readBinary(str(options.manifest) as string, 'manifest'))) };
    },
  },
  {
    path: ['firmware', 'verify'],
    summary: 'check a manifest and image as a device would (exit 0 when valid, 1 when not)',
    usage: 'firmware verify --manifest MANIFEST --image FILE --log did.jsonl [--anchor-version N] [--installed-seq N] [--vendor-id UUID] [--class-id UUID]',
    options: {
      manifest: { type: 'string', value: 'MANIFEST', required: true, help: 'SUIT envelope (CBOR) file' },
      image: { type: 'string', value: 'FILE', required: true, help: 'the firmware image' },
      log: { type: 'string', value: 'FILE', required: true, help: "the manufacturer's did:webvh log (did.jsonl)" },
      'anchor-version': { type: 'string', value: 'N', help: 'verify the log forward from version N, as a device anchored there' },
      'installed-seq': { type: 'string', value: 'N', help: 'the sequence number installed: the manifest must be newer' },
      'vendor-id': { type: 'string', value: 'UUID', help: "the device's vendor identifier" },
      'class-id': { type: 'string', value: 'UUID', help: "the device's class identifier" },
    },
    async run({ options }) {
      installCrypto(nodeCrypto);
      const anchorVersion = uintOption(options['anchor-version'], 'anchor-version');
      const installed = uintOption(options['installed-seq'], 'installed-seq');
      const vendorId = uuidOption(options['vendor-id'], 'vendor-id');
      const classId = uuidOption(options['class-id'], 'class-id');
      const envelope = readBinary(str(options.manifest) as string, 'manifest');
      const logPath = str(options.log) as string;
      const log = parseLog(readTextFile(logPath, 'DID log'));
      const witnessProofs = witnessProofsBeside(logPath);
      const imagePath = str(options.image) as string;
      const reasons: Reason[] = [];
      let sequence: number | null = null;
      let signer: string | null = null;
      let target: FirmwareTarget | undefined;
      // the release as stated, even when it does not authenticate, so every problem is listed
      try {
        const env = decodeEnvelope(envelope);
        sequence = env.manifest.sequenceNumber;
        target = firmwareTarget(env.manifest);
      } catch (e) {
        reasons.push(reasonOf(e));
      }
      let state: WebvhState | undefined;
      try {
        if (anchorVersion === undefined) state = verifyLog(log, { witnessProofs });
        else {
          if (anchorVersion < 1 || anchorVersion > log.length) throw new UsageError(`--anchor-version must be between 1 and ${log.length}`);
          const anchor = verifyLog(log.slice(0, anchorVersion), { witnessProofs });
          const now = Date.now();
          state = await advanceManufacturer(anchor, anchor.versionTime, log.slice(anchorVersion), now, (t, entries, o) => verifyLogFrom(t, entries, { now: o.now, witnessProofs }));
        }
      } catch (e) {
        if (e instanceof UsageError) throw e;
        reasons.push(reasonOf(e));
      }
      if (state && target) {
        try {
          signer = (await authenticateRelease(envelope, state)).kid;
        } catch (e) {
          reasons.push(reasonOf(e));
        }
      }
      if (target) {
        try {
          verifyImageFile(imagePath, target);
        } catch (e) {
          reasons.push(reasonOf(e));
        }
        try {
          checkRelease(target, { vendorId: vendorId ?? target.vendorId, classId: classId ?? target.classId }, installed ?? -1, Number.MAX_SAFE_INTEGER);
        } catch (e) {
          reasons.push(reasonOf(e));
        }
      }
      const valid = reasons.length === 0;
      return { output: { valid, sequence, signer, reasons }, holds: valid };
    },
  },
];
