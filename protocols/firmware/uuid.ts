/**
 * RFC 4122 UUIDs as SUIT carries them (vendor-id, class-id, device-id:
 * `bstr .size 16`) and as people write them (`fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe`).
 */
import { bytesToHex } from '../encoding/bytes.ts';
import { FirmwareError } from '../errors.ts';

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Text UUID (any case) to its 16 bytes; anything else is `firmware.invalid_uuid`. */
export function uuidToBytes(uuid: string): Uint8Array {
  if (typeof uuid !== 'string' || !UUID_RE.test(uuid)) throw new FirmwareError('firmware.invalid_uuid', 'expected a UUID like fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe');
  const hex = uuid.replace(/-/g, '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** 16 bytes to the lowercase 8-4-4-4-12 text form. */
export function bytesToUuid(b: Uint8Array): string {
  if (!(b instanceof Uint8Array) || b.length !== 16) throw new FirmwareError('firmware.invalid_uuid', 'a UUID is 16 bytes');
  const h = bytesToHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Bytes as given, or a text UUID converted: the two ways an API caller names a vendor or class. */
export function uuidBytes(v: Uint8Array | string, what: string): Uint8Array {
  if (typeof v === 'string') return uuidToBytes(v);
  if (v instanceof Uint8Array && v.length === 16) return v;
  throw new FirmwareError('firmware.invalid_uuid', `${what} must be a UUID (16 bytes or text)`);
}
