/**
 * The single-image profile a device updater acts on: one component, its
 * vendor and class (checked by conditions in the shared sequence, as the
 * draft says the manifest processor SHOULD require), the image digest and
 * size, and the URI a fetch directive downloads from.
 *
 * This is a parameter walk, not a general SUIT interpreter: it runs the
 * shared, payload-fetch and install sequences in that order, applying
 * override-parameters, and records which conditions were checked. Anything
 * it cannot reduce to one image — several components, try-each,
 * run-sequence, copy/swap/write, custom commands, a component index other
 * than 0 — is `firmware.unsupported` (the draft's "unsupported command /
 * component" exclusion reasons). Missing required information is
 * `firmware.invalid_manifest`.
 */
import { FirmwareError } from '../errors.ts';
import type { SuitCommand, SuitParameters } from './commands.ts';
import type { SuitDigest } from './digest.ts';
import { CMD } from './labels.ts';
import { isSevered, type SuitManifest } from './manifest.ts';

export interface FirmwareTarget {
  sequenceNumber: number;
  component: Uint8Array[];
  vendorId: Uint8Array;
  classId: Uint8Array;
  digest: SuitDigest;
  size: number;
  uri: string;
}

interface Walk {
  params: SuitParameters;
  vendorChecked: boolean;
  classChecked: boolean;
  fetchUri?: string;
}

function unsupported(message: string): FirmwareError {
  return new FirmwareError('firmware.unsupported', message);
}

function invalid(message: string): FirmwareError {
  return new FirmwareError('firmware.invalid_manifest', message);
}

function run(seq: readonly SuitCommand[], where: string, w: Walk, shared: boolean): void {
  for (const c of seq) {
    switch (c.id) {
      case CMD.overrideParameters:
        if (c.type === 'parameters') {
          const { other, ...known } = c.parameters;
          if (other && other.size > 0) throw unsupported(`${where}: parameters outside the single-image profile`);
          Object.assign(w.params, known);
        }
        break;
      case CMD.setComponentIndex:
        if (c.type === 'index' && c.index !== 0 && c.index !== true) throw unsupported(`${where}: component index other than 0`);
        break;
      case CMD.vendorIdentifier:
        if (!w.params.vendorId) throw invalid(`${where}: vendor condition before a vendor-id parameter`);
        if (shared) w.vendorChecked = true;
        break;
      case CMD.classIdentifier:
        if (!w.params.classId) throw invalid(`${where}: class condition before a class-id parameter`);
        if (shared) w.classChecked = true;
        break;
      case CMD.imageMatch:
        if (!w.params.imageDigest) throw invalid(`${where}: image-match condition before an image-digest parameter`);
        break;
      case CMD.fetch:
        if (shared) throw invalid('the shared sequence cannot fetch');
        if (w.params.uri === undefined) throw invalid(`${where}: fetch without a uri parameter`);
        if (w.fetchUri !== undefined && w.fetchUri !== w.params.uri) throw unsupported(`${where}: more than one image URI`);
        w.fetchUri = w.params.uri;
        break;
      case CMD.invoke:
        break;
      default:
        throw unsupported(`${where}: ${c.name} is outside the single-image profile`);
    }
  }
}

/**
 * The image a manifest installs, under the single-image profile (see the
 * module comment). Severed install/payload-fetch members must have been
 * filled in from the envelope (decodeEnvelope does that).
 */
export function firmwareTarget(m: SuitManifest): FirmwareTarget {
  if (m.components.length !== 1) throw unsupported(`manifest lists ${m.components.length} components; the device has one image`);
  if (!m.sharedSequence) throw invalid('manifest has no shared sequence (vendor and class conditions are required)');
  const w: Walk = { params: {}, vendorChecked: false, classChecked: false };
  run(m.sharedSequence, 'shared-sequence', w, true);
  for (const [name, member] of [['payload-fetch', m.payloadFetch], ['install', m.install]] as const) {
    if (member === undefined) continue;
    if (isSevered(member)) throw unsupported(`${name} is severed and not in the envelope`);
    run(member, name, w, false);
  }
  const p = w.params;
  if (!p.vendorId || !w.vendorChecked) throw invalid('the shared sequence must set vendor-id and check condition-vendor-identifier');
  if (!p.classId || !w.classChecked) throw invalid('the shared sequence must set class-id and check condition-class-identifier');
  if (!p.imageDigest) throw invalid('manifest has no image-digest');
  if (p.imageSize === undefined) throw invalid('manifest has no image-size');
  if (w.fetchUri === undefined) throw invalid('manifest has no fetch directive with a uri');
  return {
    sequenceNumber: m.sequenceNumber,
    component: m.components[0],
    vendorId: p.vendorId,
    classId: p.classId,
    digest: p.imageDigest,
    size: p.imageSize,
    uri: w.fetchUri,
  };
}
