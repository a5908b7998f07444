/**
 * SUIT_Envelope (tag 107): authentication wrapper + manifest + severable
 * members (draft-ietf-suit-manifest-37 §"Envelope", §"Authenticated Manifests").
 *
 * - The SUIT_Digest in the wrapper is computed over the *bstr-wrapped*
 *   manifest, i.e. the CBOR byte string including its header (checked
 *   against the draft's examples).
 * - Each COSE_Sign1 block signs, with a detached payload, the bstr-wrapped
 *   SUIT_Digest: the Sig_structure payload is the wrapper's first element.
 * - verifyEnvelope checks the digest and a signature before it parses the
 *   manifest (the draft: verify "prior to parsing/executing any section"),
 *   so an unauthenticated sender never reaches the manifest parser.
 *
 * Strictness: input longer than `maxBytes` is `firmware.too_large` before
 * any decoding; any malformed or non-deterministic CBOR, wrong CDDL type,
 * or missing member is `firmware.malformed`, a severable member that does not
 * match its digest `firmware.severable_mismatch`
 * (the draft requires canonical encoding of every map; we hold the whole
 * envelope to RFC 8949 §4.2.1). The envelope is decoded level by level
 * (each bstr-wrapped part on its own), so CBOR nesting stays shallow.
 */
import { cborDecode, cborEncode, cborEncodeDeterministic, CborTag } from '../encoding/cbor.ts';
import { equalBytes } from '../encoding/bytes.ts';
import type { PublicKey } from '../did/keys.ts';
import { FirmwareError, isSsiotError } from '../errors.ts';
import { decodeWrapped } from './commands.ts';
import { parseSign1, signDetached, verifyDetached, type CoseAlgorithm, type CoseSign1, type CoseSigner } from './cose-sign1.ts';
import { parseSuitDigest, suitDigestOf, suitDigestValue, type SuitDigest, type SuitDigestAlgorithm } from './digest.ts';
import { ENVELOPE, MANIFEST, SEVERABLE_MEMBERS, TAG_ENVELOPE } from './labels.ts';
import { isSevered, parseManifest, parseSeverableMember, type SuitManifest } from './manifest.ts';

/** Default cap on an envelope: ample for a manifest with text, bounded for a device. */
export const ENVELOPE_DEFAULT_MAX_BYTES = 64 * 1024;

export interface SuitAuthentication {
  digest: SuitDigest;
  /** The wrapper's first element as signed: encoded SUIT_Digest (bstr contents). */
  digestBytes: Uint8Array;
  blocks: CoseSign1[];
}

/** The outer layer of an envelope, before the manifest is parsed. */
export interface EnvelopeParts {
  authentication: SuitAuthentication;
  /** SUIT_Manifest encoding (the contents of the envelope's manifest bstr). */
  manifestBytes: Uint8Array;
  /** Severable members carried in the envelope, by label (bstr contents). */
  severable: Map<number, Uint8Array>;
  /** Integrated payloads (text keys). */
  integratedPayloads: Map<string, Uint8Array>;
}

export interface SuitEnvelope extends EnvelopeParts {
  /** The manifest with severable members from the envelope filled in (after their digests matched). */
  manifest: SuitManifest;
  /** True when the wrapper's digest matches the manifest. */
  digestMatches: boolean;
}

export interface DecodeEnvelopeOptions {
  /** Refuse longer input with `firmware.too_large` (default ENVELOPE_DEFAULT_MAX_BYTES). */
  maxBytes?: number;
}

function malformed(message: string, cause?: unknown): FirmwareError {
  return new FirmwareError('firmware.malformed', message, cause === undefined ? undefined : { cause });
}

/** SUIT_Digest of the manifest as the wrapper states it: over the bstr-wrapped manifest. */
export function manifestDigest(manifestBytes: Uint8Array, algorithm: SuitDigestAlgorithm = 'sha-256'): SuitDigest {
  return suitDigestOf(algorithm, cborEncode(manifestBytes));
}

/** Splits an envelope into its authenticated parts without parsing the manifest. */
export function readEnvelope(bytes: Uint8Array, options: DecodeEnvelopeOptions = {}): EnvelopeParts {
  const maxBytes = options.maxBytes ?? ENVELOPE_DEFAULT_MAX_BYTES;
  if (!(bytes instanceof Uint8Array)) throw malformed('a SUIT envelope is bytes');
  if (bytes.length > maxBytes) throw new FirmwareError('firmware.too_large', `SUIT envelope is ${bytes.length} bytes, more than the ${maxBytes} allowed`);
  let v: unknown;
  try {
    v = cborDecode(bytes, { maps: 'map', deterministic: true, maxBytes });
  } catch (e) {
    throw malformed('SUIT envelope is not well-formed deterministic CBOR', e);
  }
  if (!(v instanceof CborTag) || v.tag !== TAG_ENVELOPE) throw malformed('not a SUIT_Envelope_Tagged (tag 107)');
  const env = v.value;
  if (!(env instanceof Map)) throw malformed('SUIT_Envelope must be a map');
  const auth = decodeWrapped(env.get(ENVELOPE.authenticationWrapper), 'authentication-wrapper');
  if (!Array.isArray(auth) || auth.length === 0) throw malformed('authentication-wrapper must be a non-empty array');
  if (!(auth[0] instanceof Uint8Array)) throw malformed('authentication-wrapper digest must be bstr-wrapped');
  const digest = parseSuitDigest(decodeWrapped(auth[0], 'authentication digest'), 'authentication digest');
  const blocks = auth.slice(1).map((b, i) => {
    if (!(b instanceof Uint8Array)) throw malformed(`authentication block ${i} must be bstr-wrapped`);
    return parseSign1(b);
  });
  const manifestBytes = env.get(ENVELOPE.manifest);
  if (!(manifestBytes instanceof Uint8Array)) throw malformed('SUIT envelope has no bstr-wrapped manifest');
  const severable = new Map<number, Uint8Array>();
  const integratedPayloads = new Map<string, Uint8Array>();
  for (const [k, val] of env) {
    if (k === ENVELOPE.authenticationWrapper || k === ENVELOPE.manifest) continue;
    if (typeof k === 'number' && SEVERABLE_MEMBERS.includes(k)) {
      if (!(val instanceof Uint8Array)) throw malformed(`severable member ${k} must be bstr-wrapped`);
      severable.set(k, val);
    } else if (typeof k === 'string') {
      if (!(val instanceof Uint8Array)) throw malformed('an integrated payload must be a byte string');
      integratedPayloads.set(k, val);
    } else if (typeof k !== 'number') {
      throw malformed('SUIT envelope keys must be integers or text');
    }
    // other integer keys: $$SUIT_Envelope_Extensions, ignored
  }
  return { authentication: { digest, digestBytes: auth[0], blocks }, manifestBytes, severable, integratedPayloads };
}

/** Parses the manifest of checked parts and fills severed members in from the envelope. */
function completeManifest(parts: EnvelopeParts): SuitManifest {
  const manifest = parseManifest(parts.manifestBytes);
  for (const [label, bytes] of parts.severable) {
    const key = label === MANIFEST.payloadFetch ? 'payloadFetch' : label === MANIFEST.install ? 'install' : 'text';
    const member = manifest[key];
    if (!isSevered(member)) throw malformed(`envelope carries member ${label} that the manifest does not list as severed`);
    const actual = suitDigestOf(member.severed.algorithm, cborEncode(bytes));
    if (!equalBytes(actual.bytes, member.severed.bytes)) {
      throw new FirmwareError('firmware.severable_mismatch', `severable member ${label} does not match its digest in the manifest`);
    }
    (manifest as unknown as Record<string, unknown>)[key] = parseSeverableMember(label, bytes);
  }
  return manifest;
}

function digestMatches(parts: EnvelopeParts): boolean {
  const d = parts.authentication.digest;
  return equalBytes(manifestDigest(parts.manifestBytes, d.algorithm).bytes, d.bytes);
}

/**
 * Decodes a whole envelope, manifest included, without checking signatures
 * (for inspection and tests; devices use verifyEnvelope). `digestMatches`
 * tells whether the wrapper's digest is that of the manifest.
 */
export function decodeEnvelope(bytes: Uint8Array, options: DecodeEnvelopeOptions = {}): SuitEnvelope {
  const parts = readEnvelope(bytes, options);
  return { ...parts, manifest: completeManifest(parts), digestMatches: digestMatches(parts) };
}

/**
 * Signs a manifest: computes the SUIT_Digest over the bstr-wrapped manifest,
 * signs it with each signer (one COSE_Sign1 per signer, detached payload)
 * and returns the deterministic SUIT_Envelope_Tagged. The manifest is parsed
 * first, so malformed manifests are never signed.
 */
export async function signEnvelope(
  manifestBytes: Uint8Array,
  signers: CoseSigner | readonly CoseSigner[],
  options: { severable?: Map<number, Uint8Array> } = {},
): Promise<Uint8Array> {
  parseManifest(manifestBytes);
  const list = Array.isArray(signers) ? (signers as readonly CoseSigner[]) : [signers as CoseSigner];
  if (list.length === 0) throw new FirmwareError('firmware.invalid_key', 'signEnvelope needs at least one signer');
  const digestBytes = cborEncodeDeterministic(suitDigestValue(manifestDigest(manifestBytes)));
  const blocks: Uint8Array[] = [];
  for (const s of list) blocks.push(await signDetached(digestBytes, s));
  const env = new Map<unknown, unknown>([
    [ENVELOPE.authenticationWrapper, cborEncodeDeterministic([digestBytes, ...blocks])],
    [ENVELOPE.manifest, manifestBytes],
  ]);
  if (options.severable) for (const [k, v] of options.severable) env.set(k, v);
  return cborEncodeDeterministic(new CborTag(env, TAG_ENVELOPE));
}

/** Looks up the key for an authentication block; undefined = not a key we know (block skipped). */
export type PublicKeyLookup = (kid: string | undefined, block: CoseSign1) => PublicKey | undefined | Promise<PublicKey | undefined>;

export interface VerifyEnvelopeOptions extends DecodeEnvelopeOptions {
  publicKeyFor: PublicKeyLookup;
}

export interface VerifiedEnvelope {
  manifest: SuitManifest;
  /** The block that verified (its kid names the signer). */
  signer: { kid?: string; alg: CoseAlgorithm; key: PublicKey };
  envelope: SuitEnvelope;
}

/**
 * Verifies an envelope: the wrapper digest must be the manifest's
 * (`firmware.digest_mismatch`), every block whose key `publicKeyFor` knows
 * must verify (`firmware.bad_signature`), and at least one must
 * (`firmware.unsigned` without blocks, `firmware.unknown_key` when no key is
 * known). Only then is the manifest parsed. `publicKeyFor` may throw to
 * refuse a key (e.g. not authorized by the signer's DID document).
 */
export async function verifyEnvelope(envelope: Uint8Array, options: VerifyEnvelopeOptions): Promise<VerifiedEnvelope> {
  const parts = readEnvelope(envelope, options);
  if (!digestMatches(parts)) throw new FirmwareError('firmware.digest_mismatch', 'the authentication digest is not the digest of the manifest');
  const { blocks, digestBytes } = parts.authentication;
  if (blocks.length === 0) throw new FirmwareError('firmware.unsigned', 'the SUIT envelope carries no signature');
  let signer: VerifiedEnvelope['signer'] | undefined;
  for (const block of blocks) {
    const key = await options.publicKeyFor(block.kid, block);
    if (key === undefined) continue;
    let ok: boolean;
    try {
      ok = verifyDetached(block, digestBytes, key);
    } catch (e) {
      if (isSsiotError(e)) throw e;
      ok = false;
    }
    if (!ok) throw new FirmwareError('firmware.bad_signature', `the ${block.alg} signature${block.kid ? ` by ${block.kid}` : ''} does not verify`);
    signer ??= { kid: block.kid, alg: block.alg, key };
  }
  if (!signer) throw new FirmwareError('firmware.unknown_key', 'no authentication block is signed by a known key');
  const manifest = completeManifest(parts);
  return { manifest, signer, envelope: { ...parts, manifest, digestMatches: true } };
}
