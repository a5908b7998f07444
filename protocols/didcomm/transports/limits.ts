/**
 * `max_receive_bytes` (DIDComm v2 "Transports" §"Agent Constraint
 * Disclosure"): the largest DIDComm message, envelope included, an agent
 * is willing to receive.
 *
 * Where it is advertised (the spec's choice, which we follow): as a
 * discover-features 2.0 disclosure of `feature-type: "constraint"`, id
 * `max_receive_bytes`, the value a decimal *string* as in the spec's
 * example (see protocols/messages/discover-features.ts). It is not put in
 * DID document services: DIDCommMessaging service endpoints define no such
 * property, and a did:peer:2 would grow for it. Transports enforce it before
 * parsing (HTTP 413, MQTT payload check and, on MQTT 5, the CONNECT
 * Maximum Packet Size so the broker never even sends a larger one).
 */

import { DEFAULT_MAX_RECEIVE_BYTES } from '../unpack.ts';

/** The envelope layer's default (1 MiB), which the router and the bindings share unless told otherwise. */
export { DEFAULT_MAX_RECEIVE_BYTES };

/** What a device advertises: 64 KiB, the spec example's figure; enough for credentials and pairing, small for an ESP32's heap. */
export const DEVICE_MAX_RECEIVE_BYTES = 65536;

/** The feature id and type of the constraint disclosure. */
export const MAX_RECEIVE_BYTES_FEATURE = 'max_receive_bytes';
export const CONSTRAINT_FEATURE_TYPE = 'constraint';

/** Byte length of `packed` as it would go on the wire (UTF-8), without allocating for ASCII-only strings twice. */
export function wireLength(packed: string | Uint8Array): number {
  if (typeof packed !== 'string') return packed.length;
  let n = 0;
  for (let i = 0; i < packed.length; i++) {
    const c = packed.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < packed.length && (packed.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
