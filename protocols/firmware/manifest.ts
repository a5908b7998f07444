/**
 * SUIT_Manifest (draft-ietf-suit-manifest-37 §"Manifest"): decoding into a
 * typed structure and encoding it as deterministic CBOR (the draft requires
 * canonical map ordering, RFC 8949 §4.2.1, for every map in the manifest).
 *
 * Severable members (payload-fetch, install, text) are either inline
 * (bstr-wrapped) or severed: the manifest then holds only their SUIT_Digest
 * and the envelope may carry the element (envelope.ts checks it against the
 * digest and fills it in).
 */
import { bytesToHex } from '../encoding/bytes.ts';
import { cborEncodeDeterministic } from '../encoding/cbor.ts';
import { FirmwareError } from '../errors.ts';
import { cmd, commandSequenceValue, decodeWrapped, parseCommandSequence, type SuitCommand } from './commands.ts';
import { parseSuitDigest, suitDigestValue, type SuitDigest } from './digest.ts';
import { CMD, COMMON, MANIFEST, TEXT_COMPONENT_NAMES, TEXT_NAMES } from './labels.ts';
import { uuidBytes } from './uuid.ts';

/** A severed member: only its digest is in the manifest. */
export interface Severed {
  severed: SuitDigest;
}

/** One language's text: manifest-level fields and per-component fields, by name. */
export interface SuitTextEntry {
  fields: Record<string, string>;
  components: { component: Uint8Array[]; fields: Record<string, string> }[];
}

/** SUIT_Text_Map: language tag -> text. */
export type SuitText = Record<string, SuitTextEntry>;

export interface SuitManifest {
  version: 1;
  sequenceNumber: number;
  components: Uint8Array[][];
  sharedSequence?: SuitCommand[];
  referenceUri?: string;
  validate?: SuitCommand[];
  load?: SuitCommand[];
  invoke?: SuitCommand[];
  payloadFetch?: SuitCommand[] | Severed;
  install?: SuitCommand[] | Severed;
  text?: SuitText | Severed;
  /** Members the draft leaves to extensions (`$$SUIT_Manifest_Extensions`), as decoded. */
  extensions?: Map<number, unknown>;
}

function malformed(message: string, cause?: unknown): FirmwareError {
  return new FirmwareError('firmware.malformed', message, cause === undefined ? undefined : { cause });
}

export function isSevered(v: unknown): v is Severed {
  return typeof v === 'object' && v !== null && 'severed' in v;
}

function parseComponents(v: unknown): Uint8Array[][] {
  if (!Array.isArray(v) || v.length === 0) throw malformed('components must be a non-empty array');
  return v.map((id) => {
    if (!Array.isArray(id) || !id.every((part) => part instanceof Uint8Array)) throw malformed('a component identifier is an array of byte strings');
    return id as Uint8Array[];
  });
}

function textFields(m: Map<unknown, unknown>, names: Readonly<Record<number, string>>, where: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [k, v] of m) {
    if (typeof k !== 'number') continue;
    if (typeof v !== 'string') throw malformed(`${where}: text values must be text strings`);
    fields[names[k] ?? `text-${k}`] = v;
  }
  return fields;
}

/** Decodes a SUIT_Text_Map (already CBOR-decoded). */
export function parseText(v: unknown): SuitText {
  if (!(v instanceof Map) || v.size === 0) throw malformed('suit-text must be a non-empty map of language tags');
  const out: SuitText = {};
  for (const [lang, lmap] of v) {
    if (typeof lang !== 'string' || !/^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$/.test(lang)) throw malformed('suit-text keys must be language tags');
    if (!(lmap instanceof Map)) throw malformed(`suit-text ${lang} must be a map`);
    const entry: SuitTextEntry = { fields: textFields(lmap, TEXT_NAMES, `suit-text ${lang}`), components: [] };
    for (const [k, cv] of lmap) {
      if (typeof k === 'number') continue;
      const [component] = parseComponents([k]);
      if (!(cv instanceof Map)) throw malformed(`suit-text ${lang}: component text must be a map`);
      entry.components.push({ component, fields: textFields(cv, TEXT_COMPONENT_NAMES, `suit-text ${lang}`) });
    }
    if (lang === '__proto__') Object.defineProperty(out, lang, { value: entry, enumerable: true, writable: true, configurable: true });
    else out[lang] = entry;
  }
  return out;
}

function textValue(t: SuitText): Map<unknown, unknown> {
  const nameToLabel = (names: Readonly<Record<number, string>>, name: string): number => {
    for (const [k, n] of Object.entries(names)) if (n === name) return Number(k);
    const m = /^text-(-?\d+)$/.exec(name);
    if (m) return Number(m[1]);
    throw new FirmwareError('firmware.invalid_manifest', `unknown suit-text field ${name}`);
  };
  const out = new Map<unknown, unknown>();
  for (const [lang, entry] of Object.entries(t)) {
    const lmap = new Map<unknown, unknown>();
    for (const [name, value] of Object.entries(entry.fields)) lmap.set(nameToLabel(TEXT_NAMES, name), value);
    for (const c of entry.components) {
      const cm = new Map<unknown, unknown>();
      for (const [name, value] of Object.entries(c.fields)) cm.set(nameToLabel(TEXT_COMPONENT_NAMES, name), value);
      lmap.set(c.component, cm);
    }
    out.set(lang, lmap);
  }
  return out;
}

function sequence(v: unknown, where: string): SuitCommand[] {
  return parseCommandSequence(decodeWrapped(v, where), where);
}

/** A severable member: inline bstr .cbor X, or a SUIT_Digest (severed). */
function severable<T>(v: unknown, where: string, parse: (decoded: unknown) => T): T | Severed {
  if (Array.isArray(v)) return { severed: parseSuitDigest(v, where) };
  return parse(decodeWrapped(v, where));
}

/**
 * Decodes the SUIT_Manifest bytes (the contents of the envelope's manifest
 * bstr). Strict: deterministic encoding, CDDL types, manifest version 1,
 * sequence number below 2^53 (`firmware.unsupported` otherwise).
 */
export function parseManifest(bytes: Uint8Array): SuitManifest {
  const m = decodeWrapped(bytes, 'manifest');
  if (!(m instanceof Map)) throw malformed('SUIT_Manifest must be a map');
  const version = m.get(MANIFEST.version);
  if (version === undefined) throw malformed('manifest has no manifest-version');
  if (version !== 1) throw new FirmwareError('firmware.unsupported', `manifest version ${String(version)} is not supported (1)`);
  const seq = m.get(MANIFEST.sequenceNumber);
  if (typeof seq === 'bigint' && seq > 0n) throw new FirmwareError('firmware.unsupported', 'sequence numbers above 2^53 are not supported');
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw malformed('manifest-sequence-number must be an unsigned integer');
  const commonValue = decodeWrapped(m.get(MANIFEST.common), 'common');
  if (!(commonValue instanceof Map)) throw malformed('SUIT_Common must be a map');
  const componentsValue = commonValue.get(COMMON.components);
  if (componentsValue === undefined) throw new FirmwareError('firmware.unsupported', 'manifests without components (dependency manifests) are not supported');
  const manifest: SuitManifest = { version: 1, sequenceNumber: seq, components: parseComponents(componentsValue) };
  if (commonValue.has(COMMON.sharedSequence)) manifest.sharedSequence = sequence(commonValue.get(COMMON.sharedSequence), 'shared-sequence');
  for (const k of commonValue.keys()) {
    if (k !== COMMON.components && k !== COMMON.sharedSequence) throw new FirmwareError('firmware.unsupported', `unsupported SUIT_Common member ${String(k)}`);
  }
  const extensions = new Map<number, unknown>();
  for (const [k, v] of m) {
    switch (k) {
      case MANIFEST.version:
      case MANIFEST.sequenceNumber:
      case MANIFEST.common:
        break;
      case MANIFEST.referenceUri:
        if (typeof v !== 'string') throw malformed('reference-uri must be a text string');
        manifest.referenceUri = v;
        break;
      case MANIFEST.validate:
        manifest.validate = sequence(v, 'validate');
        break;
      case MANIFEST.load:
        manifest.load = sequence(v, 'load');
        break;
      case MANIFEST.invoke:
        manifest.invoke = sequence(v, 'invoke');
        break;
      case MANIFEST.payloadFetch:
        manifest.payloadFetch = severable(v, 'payload-fetch', (d) => parseCommandSequence(d, 'payload-fetch'));
        break;
      case MANIFEST.install:
        manifest.install = severable(v, 'install', (d) => parseCommandSequence(d, 'install'));
        break;
      case MANIFEST.text:
        manifest.text = severable(v, 'text', parseText);
        break;
      default:
        if (typeof k !== 'number' || !Number.isSafeInteger(k)) throw malformed('SUIT_Manifest keys must be integers');
        extensions.set(k, v);
    }
  }
  if (extensions.size > 0) manifest.extensions = extensions;
  return manifest;
}

/** Parses a severable member's bytes (from the envelope) as the member `label`. */
export function parseSeverableMember(label: number, bytes: Uint8Array): SuitCommand[] | SuitText {
  const where = label === MANIFEST.text ? 'text' : label === MANIFEST.install ? 'install' : 'payload-fetch';
  const decoded = decodeWrapped(bytes, where);
  return label === MANIFEST.text ? parseText(decoded) : parseCommandSequence(decoded, where);
}

function wrapSeverable(v: SuitCommand[] | SuitText | Severed, asBytes: (x: SuitCommand[] | SuitText) => Uint8Array): unknown {
  if (isSevered(v)) return suitDigestValue(v.severed);
  return asBytes(v);
}

/** Deterministic CBOR of a SuitManifest (the bytes that go, bstr-wrapped, into the envelope). */
export function encodeSuitManifest(m: SuitManifest): Uint8Array {
  if (!Number.isSafeInteger(m.sequenceNumber) || m.sequenceNumber < 0) throw new FirmwareError('firmware.invalid_manifest', 'sequence number must be an unsigned integer');
  if (!Array.isArray(m.components) || m.components.length === 0) throw new FirmwareError('firmware.invalid_manifest', 'a manifest needs at least one component');
  const seq = (s: SuitCommand[]) => cborEncodeDeterministic(commandSequenceValue(s));
  const common = new Map<number, unknown>([[COMMON.components, m.components]]);
  if (m.sharedSequence) common.set(COMMON.sharedSequence, seq(m.sharedSequence));
  const out = new Map<number, unknown>([
    [MANIFEST.version, 1],
    [MANIFEST.sequenceNumber, m.sequenceNumber],
    [MANIFEST.common, cborEncodeDeterministic(common)],
  ]);
  if (m.referenceUri !== undefined) out.set(MANIFEST.referenceUri, m.referenceUri);
  if (m.validate) out.set(MANIFEST.validate, seq(m.validate));
  if (m.load) out.set(MANIFEST.load, seq(m.load));
  if (m.invoke) out.set(MANIFEST.invoke, seq(m.invoke));
  const bySeq = (x: SuitCommand[] | SuitText) => seq(x as SuitCommand[]);
  if (m.payloadFetch) out.set(MANIFEST.payloadFetch, wrapSeverable(m.payloadFetch, bySeq));
  if (m.install) out.set(MANIFEST.install, wrapSeverable(m.install, bySeq));
  if (m.text) out.set(MANIFEST.text, wrapSeverable(m.text, (t) => cborEncodeDeterministic(textValue(t as SuitText))));
  if (m.extensions) for (const [k, v] of m.extensions) if (!out.has(k)) out.set(k, v);
  return cborEncodeDeterministic(out);
}

/** What a manufacturer states about one firmware image: the input of encodeManifest. */
export interface FirmwareManifestInput {
  /** Anti-rollback counter; must grow with every release (a UTC timestamp in seconds works). */
  sequenceNumber: number;
  /** RFC 4122 UUIDs, as 16 bytes or text. */
  vendorId: Uint8Array | string;
  classId: Uint8Array | string;
  /** The image: SHA-256 digest (or a SuitDigest) and exact size in bytes. */
  image: { digest: Uint8Array | SuitDigest; size: number };
  /** Where the device fetches the image (HTTP(S), Range-capable). */
  uri: string;
  /** Component identifier (default `[h'00']`, the one application image). */
  component?: Uint8Array[];
  referenceUri?: string;
  text?: SuitText;
}

/**
 * The manifest for one image, following the draft's examples 0/1: shared
 * sequence = override(vendor, class, digest, size) + vendor and class
 * conditions; install = override(uri), fetch, image-match; validate =
 * image-match; invoke = invoke. Reporting policies as in the examples
 * (conditions 15, fetch/invoke 2).
 */
export function buildManifest(input: FirmwareManifestInput): SuitManifest {
  const digest: SuitDigest = input.image.digest instanceof Uint8Array ? { algorithm: 'sha-256', bytes: input.image.digest } : input.image.digest;
  if (!Number.isSafeInteger(input.image.size) || input.image.size < 0) throw new FirmwareError('firmware.invalid_manifest', 'image size must be an unsigned integer');
  if (typeof input.uri !== 'string' || input.uri.length === 0) throw new FirmwareError('firmware.invalid_manifest', 'the image URI must be a non-empty string');
  const m: SuitManifest = {
    version: 1,
    sequenceNumber: input.sequenceNumber,
    components: [input.component ?? [new Uint8Array([0])]],
    sharedSequence: [
      cmd.override({
        vendorId: uuidBytes(input.vendorId, 'vendor-id'),
        classId: uuidBytes(input.classId, 'class-id'),
        imageDigest: digest,
        imageSize: input.image.size,
      }),
      cmd.policy(CMD.vendorIdentifier),
      cmd.policy(CMD.classIdentifier),
    ],
    validate: [cmd.policy(CMD.imageMatch)],
    invoke: [cmd.policy(CMD.invoke, 2)],
    install: [cmd.override({ uri: input.uri }), cmd.policy(CMD.fetch, 2), cmd.policy(CMD.imageMatch)],
  };
  if (input.referenceUri !== undefined) m.referenceUri = input.referenceUri;
  if (input.text !== undefined) m.text = input.text;
  return m;
}

/** Deterministic CBOR of the manifest for one image (see buildManifest). */
export function encodeManifest(input: FirmwareManifestInput): Uint8Array {
  return encodeSuitManifest(buildManifest(input));
}

/** Hex of a component identifier, for messages and views. */
export function componentToHex(c: Uint8Array[]): string[] {
  return c.map((p) => bytesToHex(p));
}
