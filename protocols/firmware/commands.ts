/**
 * SUIT_Command_Sequence and SUIT_Parameters: decoding to typed commands and
 * encoding back (draft-ietf-suit-manifest §"Commands", §"Parameters").
 *
 * A sequence is a flat CBOR array of (command-id, argument) pairs. Nested
 * sequences (try-each, run-sequence) and the image digest parameter are
 * bstr-wrapped CBOR; each wrapped part is decoded on its own, with the
 * deterministic-encoding check, so one decode never recurses deeply. Nesting
 * of sequences is capped at MAX_SEQUENCE_NESTING.
 *
 * Choices where the draft leaves room:
 * - an unknown positive command id is `firmware.unsupported` (the draft lists
 *   "unsupported command encountered" as a reason to exclude a manifest);
 *   negative ids are custom commands and are kept as they are;
 * - parameters with known labels must have the CDDL type (else
 *   `firmware.malformed`); unknown and custom labels, and a vendor id given
 *   as a cbor-pen (tag 112), are kept in `other`.
 */
import { cborDecode, CborTag } from '../encoding/cbor.ts';
import { FirmwareError } from '../errors.ts';
import { parseSuitDigest, suitDigestValue, type SuitDigest } from './digest.ts';
import { CMD, COMMAND_NAMES, PARAM } from './labels.ts';
import { cborEncodeDeterministic } from '../encoding/cbor.ts';

/** How deep try-each / run-sequence may nest (the draft's examples use 1). */
export const MAX_SEQUENCE_NESTING = 4;

/** SUIT_Parameters as far as the draft defines them. */
export interface SuitParameters {
  vendorId?: Uint8Array;
  classId?: Uint8Array;
  imageDigest?: SuitDigest;
  imageSize?: number;
  componentSlot?: number;
  strictOrder?: boolean;
  softFailure?: boolean;
  content?: Uint8Array;
  uri?: string;
  sourceComponent?: number;
  invokeArgs?: Uint8Array;
  deviceId?: Uint8Array;
  fetchArguments?: Uint8Array;
  /** Custom (negative) labels, unregistered labels and cbor-pen vendor ids, as decoded. */
  other?: Map<number, unknown>;
}

/** The component index argument: one index, `true` (all components) or a list. */
export type IndexArgument = number | true | number[];

export type SuitCommand =
  | { id: number; name: string; type: 'policy'; policy: number }
  | { id: typeof CMD.setComponentIndex; name: string; type: 'index'; index: IndexArgument }
  | { id: typeof CMD.overrideParameters; name: string; type: 'parameters'; parameters: SuitParameters }
  | { id: typeof CMD.tryEach; name: string; type: 'try-each'; sequences: SuitCommand[][]; emptyAllowed: boolean }
  | { id: typeof CMD.runSequence; name: string; type: 'run-sequence'; sequence: SuitCommand[] }
  | { id: number; name: string; type: 'custom'; argument: unknown };

function malformed(message: string, cause?: unknown): FirmwareError {
  return new FirmwareError('firmware.malformed', message, cause === undefined ? undefined : { cause });
}

/** Decodes bstr-wrapped CBOR inside a SUIT structure (deterministic, maps as Map). */
export function decodeWrapped(bytes: unknown, where: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw malformed(`${where} must be a bstr-wrapped CBOR item`);
  try {
    return cborDecode(bytes, { maps: 'map', deterministic: true });
  } catch (e) {
    throw malformed(`${where} is not well-formed deterministic CBOR`, e);
  }
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function bytesParam(v: unknown, name: string, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed(`parameter ${name} must be a byte string`);
  if (length !== undefined && v.length !== length) throw malformed(`parameter ${name} must be ${length} bytes`);
  return v;
}

function uintParam(v: unknown, name: string): number {
  if (!isUint(v)) throw malformed(`parameter ${name} must be an unsigned integer (below 2^53)`);
  return v;
}

function boolParam(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw malformed(`parameter ${name} must be a boolean`);
  return v;
}

/** Decodes a `{+ $$SUIT_Parameters}` map. */
export function parseParameters(v: unknown): SuitParameters {
  if (!(v instanceof Map) || v.size === 0) throw malformed('override-parameters argument must be a non-empty map');
  const p: SuitParameters = {};
  const other = new Map<number, unknown>();
  for (const [label, value] of v) {
    if (typeof label !== 'number' || !Number.isSafeInteger(label)) throw malformed('SUIT parameter labels must be integers');
    switch (label) {
      case PARAM.vendorId:
        if (value instanceof CborTag && value.tag === 112) other.set(label, value);
        else p.vendorId = bytesParam(value, 'vendor-id', 16);
        break;
      case PARAM.classId:
        p.classId = bytesParam(value, 'class-id', 16);
        break;
      case PARAM.deviceId:
        p.deviceId = bytesParam(value, 'device-id', 16);
        break;
      case PARAM.imageDigest:
        p.imageDigest = parseSuitDigest(decodeWrapped(value, 'image-digest'), 'image-digest');
        break;
      case PARAM.imageSize:
        p.imageSize = uintParam(value, 'image-size');
        break;
      case PARAM.componentSlot:
        p.componentSlot = uintParam(value, 'component-slot');
        break;
      case PARAM.sourceComponent:
        p.sourceComponent = uintParam(value, 'source-component');
        break;
      case PARAM.strictOrder:
        p.strictOrder = boolParam(value, 'strict-order');
        break;
      case PARAM.softFailure:
        p.softFailure = boolParam(value, 'soft-failure');
        break;
      case PARAM.uri:
        if (typeof value !== 'string') throw malformed('parameter uri must be a text string');
        p.uri = value;
        break;
      case PARAM.content:
        p.content = bytesParam(value, 'content');
        break;
      case PARAM.invokeArgs:
        p.invokeArgs = bytesParam(value, 'invoke-args');
        break;
      case PARAM.fetchArguments:
        p.fetchArguments = bytesParam(value, 'fetch-arguments');
        break;
      default:
        other.set(label, value);
    }
  }
  if (other.size > 0) p.other = other;
  return p;
}

/** Encodes SuitParameters to the CBOR map (deterministic order is applied by the encoder). */
export function parametersValue(p: SuitParameters): Map<number, unknown> {
  const m = new Map<number, unknown>();
  if (p.vendorId !== undefined) m.set(PARAM.vendorId, p.vendorId);
  if (p.classId !== undefined) m.set(PARAM.classId, p.classId);
  if (p.imageDigest !== undefined) m.set(PARAM.imageDigest, cborEncodeDeterministic(suitDigestValue(p.imageDigest)));
  if (p.componentSlot !== undefined) m.set(PARAM.componentSlot, p.componentSlot);
  if (p.strictOrder !== undefined) m.set(PARAM.strictOrder, p.strictOrder);
  if (p.softFailure !== undefined) m.set(PARAM.softFailure, p.softFailure);
  if (p.imageSize !== undefined) m.set(PARAM.imageSize, p.imageSize);
  if (p.content !== undefined) m.set(PARAM.content, p.content);
  if (p.uri !== undefined) m.set(PARAM.uri, p.uri);
  if (p.sourceComponent !== undefined) m.set(PARAM.sourceComponent, p.sourceComponent);
  if (p.invokeArgs !== undefined) m.set(PARAM.invokeArgs, p.invokeArgs);
  if (p.deviceId !== undefined) m.set(PARAM.deviceId, p.deviceId);
  if (p.fetchArguments !== undefined) m.set(PARAM.fetchArguments, p.fetchArguments);
  if (p.other) for (const [k, v] of p.other) m.set(k, v);
  if (m.size === 0) throw new FirmwareError('firmware.invalid_manifest', 'override-parameters needs at least one parameter');
  return m;
}

function parseIndex(v: unknown): IndexArgument {
  if (v === true || isUint(v)) return v;
  if (Array.isArray(v) && v.length > 0 && v.every(isUint)) return v as number[];
  throw malformed('set-component-index argument must be a uint, true or a non-empty list of uints');
}

/**
 * Decodes one SUIT_Command_Sequence (already CBOR-decoded array).
 * `depth` counts nested sequences (0 for a top-level one).
 */
export function parseCommandSequence(v: unknown, where: string, depth = 0): SuitCommand[] {
  if (depth > MAX_SEQUENCE_NESTING) throw malformed(`${where}: command sequences nested deeper than ${MAX_SEQUENCE_NESTING}`);
  if (!Array.isArray(v) || v.length === 0 || v.length % 2 !== 0) throw malformed(`${where} must be a non-empty array of (command, argument) pairs`);
  const out: SuitCommand[] = [];
  for (let i = 0; i < v.length; i += 2) {
    const id = v[i];
    const arg = v[i + 1];
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw malformed(`${where}: command identifiers must be integers`);
    if (id < 0) {
      out.push({ id, name: 'custom', type: 'custom', argument: arg });
      continue;
    }
    const name = COMMAND_NAMES[id];
    if (name === undefined) throw new FirmwareError('firmware.unsupported', `${where}: unsupported SUIT command ${id}`);
    switch (id) {
      case CMD.setComponentIndex:
        out.push({ id, name, type: 'index', index: parseIndex(arg) });
        break;
      case CMD.overrideParameters:
        out.push({ id, name, type: 'parameters', parameters: parseParameters(arg) });
        break;
      case CMD.runSequence:
        out.push({ id, name, type: 'run-sequence', sequence: parseCommandSequence(decodeWrapped(arg, `${where} run-sequence`), `${where} run-sequence`, depth + 1) });
        break;
      case CMD.tryEach: {
        if (!Array.isArray(arg)) throw malformed(`${where}: try-each argument must be an array`);
        const emptyAllowed = arg.length > 0 && arg[arg.length - 1] === null;
        const wrapped = emptyAllowed ? arg.slice(0, -1) : arg;
        if (wrapped.length < 2) throw malformed(`${where}: try-each needs at least two sequences`);
        const sequences = wrapped.map((s, k) => parseCommandSequence(decodeWrapped(s, `${where} try-each[${k}]`), `${where} try-each[${k}]`, depth + 1));
        out.push({ id, name, type: 'try-each', sequences, emptyAllowed });
        break;
      }
      default:
        if (!isUint(arg)) throw malformed(`${where}: ${name} takes a reporting policy (uint)`);
        out.push({ id, name, type: 'policy', policy: arg });
    }
  }
  return out;
}

/** Encodes commands back to the SUIT_Command_Sequence array (nested sequences bstr-wrapped). */
export function commandSequenceValue(commands: readonly SuitCommand[]): unknown[] {
  if (commands.length === 0) throw new FirmwareError('firmware.invalid_manifest', 'a command sequence needs at least one command');
  const out: unknown[] = [];
  for (const c of commands) {
    out.push(c.id);
    switch (c.type) {
      case 'policy':
        out.push(c.policy);
        break;
      case 'index':
        out.push(c.index);
        break;
      case 'parameters':
        out.push(parametersValue(c.parameters));
        break;
      case 'run-sequence':
        out.push(cborEncodeDeterministic(commandSequenceValue(c.sequence)));
        break;
      case 'try-each': {
        const arr: unknown[] = c.sequences.map((s) => cborEncodeDeterministic(commandSequenceValue(s)));
        if (c.emptyAllowed) arr.push(null);
        out.push(arr);
        break;
      }
      case 'custom':
        out.push(c.argument);
        break;
    }
  }
  return out;
}

/** Shorthands for building sequences. */
export const cmd = {
  override: (parameters: SuitParameters): SuitCommand => ({ id: CMD.overrideParameters, name: COMMAND_NAMES[CMD.overrideParameters], type: 'parameters', parameters }),
  policy: (id: number, policy = 15): SuitCommand => ({ id, name: COMMAND_NAMES[id] ?? String(id), type: 'policy', policy }),
};
