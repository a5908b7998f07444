/**
 * A JSON view of a SUIT envelope for people and scripts (`ssiot firmware
 * inspect`): names instead of integer labels, byte strings in hex, vendor /
 * class / device ids as UUID text, nested sequences expanded. Nothing here
 * checks signatures; `authentication.digestMatches` only says whether the
 * wrapper digest is the manifest's.
 */
import { bytesToHex } from '../encoding/bytes.ts';
import { CborSimple, CborTag } from '../encoding/cbor.ts';
import type { SuitCommand, SuitParameters } from './commands.ts';
import type { SuitDigest } from './digest.ts';
import type { SuitEnvelope } from './envelope.ts';
import { PARAMETER_NAMES } from './labels.ts';
import { componentToHex, isSevered, type Severed, type SuitManifest, type SuitText } from './manifest.ts';
import { firmwareTarget } from './target.ts';
import { bytesToUuid } from './uuid.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

function digestView(d: SuitDigest): JsonValue {
  return { algorithm: d.algorithm, bytes: bytesToHex(d.bytes) };
}

/** Any decoded CBOR value as JSON (for extension members and custom arguments). */
export function cborView(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return { bytes: bytesToHex(v) };
  if (Array.isArray(v)) return v.map(cborView);
  if (v instanceof Map) return { map: [...v.entries()].map(([k, val]) => [cborView(k), cborView(val)]) };
  if (v instanceof CborTag) return { tag: Number(v.tag), value: cborView(v.value) };
  if (v instanceof CborSimple) return { simple: v.value };
  return String(v);
}

function parametersView(p: SuitParameters): JsonValue {
  const out: Record<string, JsonValue> = {};
  if (p.vendorId) out['vendor-id'] = bytesToUuid(p.vendorId);
  if (p.classId) out['class-id'] = bytesToUuid(p.classId);
  if (p.imageDigest) out['image-digest'] = digestView(p.imageDigest);
  if (p.componentSlot !== undefined) out['component-slot'] = p.componentSlot;
  if (p.strictOrder !== undefined) out['strict-order'] = p.strictOrder;
  if (p.softFailure !== undefined) out['soft-failure'] = p.softFailure;
  if (p.imageSize !== undefined) out['image-size'] = p.imageSize;
  if (p.content) out.content = bytesToHex(p.content);
  if (p.uri !== undefined) out.uri = p.uri;
  if (p.sourceComponent !== undefined) out['source-component'] = p.sourceComponent;
  if (p.invokeArgs) out['invoke-args'] = bytesToHex(p.invokeArgs);
  if (p.deviceId) out['device-id'] = bytesToUuid(p.deviceId);
  if (p.fetchArguments) out['fetch-arguments'] = bytesToHex(p.fetchArguments);
  if (p.other) for (const [k, v] of p.other) out[PARAMETER_NAMES[k] ?? `parameter-${k}`] = cborView(v);
  return out;
}

function commandView(c: SuitCommand): JsonValue {
  switch (c.type) {
    case 'policy':
      return { command: c.name, id: c.id, reportingPolicy: c.policy };
    case 'index':
      return { command: c.name, id: c.id, index: c.index };
    case 'parameters':
      return { command: c.name, id: c.id, parameters: parametersView(c.parameters) };
    case 'run-sequence':
      return { command: c.name, id: c.id, sequence: sequenceView(c.sequence) };
    case 'try-each':
      return { command: c.name, id: c.id, sequences: c.sequences.map(sequenceView), emptyAllowed: c.emptyAllowed };
    case 'custom':
      return { command: 'custom', id: c.id, argument: cborView(c.argument) };
  }
}

function sequenceView(s: readonly SuitCommand[]): JsonValue {
  return s.map(commandView);
}

function textView(t: SuitText): JsonValue {
  const out: Record<string, JsonValue> = {};
  for (const [lang, e] of Object.entries(t)) {
    out[lang] = { ...e.fields, components: e.components.map((c) => ({ component: componentToHex(c.component), ...c.fields })) };
  }
  return out;
}

function severableView<T>(v: T | Severed | undefined, view: (x: T) => JsonValue): JsonValue | undefined {
  if (v === undefined) return undefined;
  if (isSevered(v)) return { severed: digestView(v.severed) };
  return view(v as T);
}

/** The manifest as JSON (integer labels replaced by the draft's names). */
export function manifestView(m: SuitManifest): JsonValue {
  const out: Record<string, JsonValue> = {
    'manifest-version': m.version,
    'manifest-sequence-number': m.sequenceNumber,
    common: {
      components: m.components.map(componentToHex),
      ...(m.sharedSequence ? { 'shared-sequence': sequenceView(m.sharedSequence) } : {}),
    },
  };
  if (m.referenceUri !== undefined) out['reference-uri'] = m.referenceUri;
  if (m.validate) out.validate = sequenceView(m.validate);
  if (m.load) out.load = sequenceView(m.load);
  if (m.invoke) out.invoke = sequenceView(m.invoke);
  const pf = severableView(m.payloadFetch, sequenceView);
  if (pf !== undefined) out['payload-fetch'] = pf;
  const inst = severableView(m.install, sequenceView);
  if (inst !== undefined) out.install = inst;
  const text = severableView(m.text, textView);
  if (text !== undefined) out.text = text;
  if (m.extensions) out.extensions = cborView(m.extensions);
  return out;
}

/**
 * The whole envelope as JSON. `image` is the single-image profile view
 * (vendor, class, digest, size, uri) when the manifest fits it, else null
 * with the reason.
 */
export function inspectEnvelope(env: SuitEnvelope): JsonValue {
  let image: JsonValue;
  try {
    const t = firmwareTarget(env.manifest);
    image = { vendorId: bytesToUuid(t.vendorId), classId: bytesToUuid(t.classId), digest: digestView(t.digest), size: t.size, uri: t.uri };
  } catch (e) {
    image = { unsupported: (e as { code?: string }).code ?? 'firmware.unsupported', message: (e as Error).message };
  }
  const payloads: Record<string, JsonValue> = {};
  for (const [k, v] of env.integratedPayloads) payloads[k] = { size: v.length };
  return {
    authentication: {
      digest: digestView(env.authentication.digest),
      digestMatches: env.digestMatches,
      signatures: env.authentication.blocks.map((b) => ({
        alg: b.alg,
        kid: b.kid ?? (b.kidBytes ? { bytes: bytesToHex(b.kidBytes) } : null),
        signature: bytesToHex(b.signature),
      })),
    },
    manifest: manifestView(env.manifest),
    severedMembersInEnvelope: [...env.severable.keys()],
    integratedPayloads: payloads,
    image,
  };
}
