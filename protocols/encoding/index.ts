/**
 * protocols/encoding: the byte, text and structure encodings every other
 * protocol module builds on. Each submodule can also be imported directly.
 */
export * from './bytes.ts';
export * from './base64url.ts';
export * from './multibase.ts';
export * from './multicodec.ts';
export * from './multihash.ts';
export * from './der.ts';
export {
  KEY_LENGTHS,
  checkKeyBytes,
  decodeMultikey,
  encodeMultikey,
  isKeyCodec,
  type KeyCodec,
} from './multikey.ts';
export * from './cbor.ts';
export * from './jcs.ts';
export * from './number.ts';
export * from './json.ts';
