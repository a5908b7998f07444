/**
 * Input rules for item fields, tag names and tag values, shared by the item
 * API and the WQL parser so that a query can name exactly what an item can
 * hold.
 *
 * Why these rules:
 *  - Strings must be well-formed Unicode (no lone surrogates): they are
 *    stored as UTF-8, and two different JS strings must never become the
 *    same bytes (TextEncoder would map every lone surrogate to U+FFFD).
 *  - No U+0000 in type, id, tag names or tag values: PostgreSQL `text`
 *    cannot hold it (plaintext `$like` runs on text there), and a rule
 *    that holds on every backend beats one that differs per backend.
 *  - Tag names may not start with `$` (WQL operators) and `~` alone is not
 *    a name.
 *  - Sizes are bounded in UTF-8 bytes so a device backend can budget its
 *    records; the item value may be large, it is only ever stored sealed.
 */
import { findLoneSurrogate, utf8Encode } from '../encoding/bytes.ts';
import { WalletError } from '../errors.ts';
import type { Tags } from './types.ts';

export const MAX_TYPE_BYTES = 256;
export const MAX_ID_BYTES = 1024;
export const MAX_TAG_NAME_BYTES = 256;
/** 1 KiB: a PostgreSQL btree entry holds at most ~2.7 KB, and tags are for searching, not storing. */
export const MAX_TAG_VALUE_BYTES = 1024;
export const MAX_TAGS = 64;
export const MAX_VALUE_BYTES = 1024 * 1024;

type Code = 'wallet.invalid_item' | 'wallet.invalid_query';

/** UTF-8 of a checked string; `what` names the field in the message (never the value). */
export function checkedUtf8(
  s: unknown,
  what: string,
  code: Code,
  limits: { min: number; max: number; allowNul?: boolean },
): Uint8Array {
  if (typeof s !== 'string') throw new WalletError(code, `${what} must be a string`);
  const at = findLoneSurrogate(s);
  if (at !== -1) throw new WalletError(code, `${what} is not well-formed Unicode (lone surrogate at index ${at})`);
  if (!limits.allowNul && s.indexOf('\u0000') !== -1) throw new WalletError(code, `${what} must not contain U+0000`);
  const bytes = utf8Encode(s);
  if (bytes.length < limits.min) throw new WalletError(code, `${what} must not be empty`);
  if (bytes.length > limits.max) throw new WalletError(code, `${what} is longer than ${limits.max} UTF-8 bytes`);
  return bytes;
}

export function checkType(type: unknown, code: Code = 'wallet.invalid_item'): Uint8Array {
  return checkedUtf8(type, 'item type', code, { min: 1, max: MAX_TYPE_BYTES });
}

export function checkId(id: unknown, code: Code = 'wallet.invalid_item'): Uint8Array {
  return checkedUtf8(id, 'item id', code, { min: 1, max: MAX_ID_BYTES });
}

export function checkValue(value: unknown): Uint8Array {
  return checkedUtf8(value, 'item value', 'wallet.invalid_item', { min: 0, max: MAX_VALUE_BYTES, allowNul: true });
}

/** True for names stored in plaintext (RFC 0050: a leading `~`). */
export function isPlainTagName(name: string): boolean {
  return name.charCodeAt(0) === 0x7e;
}

export function checkTagName(name: unknown, code: Code = 'wallet.invalid_item'): Uint8Array {
  const bytes = checkedUtf8(name, 'tag name', code, { min: 1, max: MAX_TAG_NAME_BYTES });
  const n = name as string;
  if (n.charCodeAt(0) === 0x24) throw new WalletError(code, 'tag names must not start with $ (reserved for WQL operators)');
  if (n === '~') throw new WalletError(code, 'tag name ~ has no name after the plaintext marker');
  return bytes;
}

export function checkTagValue(value: unknown, name: string, code: Code = 'wallet.invalid_item'): Uint8Array {
  return checkedUtf8(value, `value of tag ${JSON.stringify(name.length > 64 ? name.slice(0, 64) + '…' : name)}`, code, {
    min: 0,
    max: MAX_TAG_VALUE_BYTES,
  });
}

/** A tags object: plain object, string values, at most MAX_TAGS entries. */
export function checkTags(tags: unknown): Tags {
  if (tags === undefined) return {};
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new WalletError('wallet.invalid_item', 'tags must be an object of string values');
  }
  const names = Object.keys(tags);
  if (names.length > MAX_TAGS) throw new WalletError('wallet.invalid_item', `an item has at most ${MAX_TAGS} tags`);
  const out: Tags = {};
  for (const name of names) {
    checkTagName(name);
    const value = (tags as Record<string, unknown>)[name];
    checkTagValue(value, name);
    setTag(out, name, value as string);
  }
  return out;
}

/** `tags[name] = value`, also for the name `__proto__` (which plain assignment would turn into a prototype change). */
export function setTag(tags: Tags, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(tags, name, { value, enumerable: true, writable: true, configurable: true });
  else tags[name] = value;
}
