/**
 * Items and queries to and from their stored, encrypted form, under one
 * wallet's column keys (column-crypto.ts explains the scheme).
 *
 * The sealed value holds the WHOLE item — type, id, value and tags — so it is
 * the authority: the tag index beside it exists only to be searched, and the
 * wallet re-checks every search hit against the sealed tags. A row whose
 * index was tampered with can then at worst go missing from a search, never
 * appear in one it does not match.
 *
 * Encrypting a type or tag name costs an HMAC and an XChaCha20 call, and the
 * same few names come back all the time, so those are cached (bounded).
 */
import { cborDecode, cborEncode } from '../encoding/cbor.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { WalletError } from '../errors.ts';
import {
  type ColumnKeys,
  encryptSearchable,
  itemAad,
  openValue,
  sealValue,
  tagValueContext,
} from './column-crypto.ts';
import type { QueryNode, StorageQuery, StoredItem, StoredTag, Tags, WalletItem } from './types.ts';
import { isPlainTagName, setTag } from './validate.ts';
import type { WqlQuery } from './wql.ts';

const CACHE_LIMIT = 256;

function cached(cache: Map<string, Uint8Array>, key: string, make: () => Uint8Array): Uint8Array {
  let v = cache.get(key);
  if (v === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    v = make();
    cache.set(key, v);
  }
  return v;
}

function corrupted(message: string, cause?: unknown): WalletError {
  return new WalletError('wallet.corrupted_item', message, cause === undefined ? undefined : { cause });
}

/** Encrypts and decrypts items and queries for one wallet. Inputs are assumed validated (validate.ts). */
export class ItemCipher {
  private readonly keys: ColumnKeys;
  private readonly types = new Map<string, Uint8Array>();
  private readonly tagNames = new Map<string, Uint8Array>();

  constructor(keys: ColumnKeys) {
    this.keys = keys;
  }

  typeEnc(type: string): Uint8Array {
    return cached(this.types, type, () => encryptSearchable(this.keys.type, this.keys.itemHmac, utf8Encode(type)));
  }

  idEnc(id: string): Uint8Array {
    return encryptSearchable(this.keys.id, this.keys.itemHmac, utf8Encode(id));
  }

  tagNameEnc(name: string): Uint8Array {
    return cached(this.tagNames, name, () => encryptSearchable(this.keys.tagName, this.keys.tagHmac, utf8Encode(name)));
  }

  /** Index bytes of a tag value: UTF-8 for `~` tags, deterministic ciphertext otherwise. */
  tagValueIndex(name: string, value: string): Uint8Array {
    const v = utf8Encode(value);
    if (isPlainTagName(name)) return v;
    return encryptSearchable(this.keys.tagValue, this.keys.tagHmac, v, tagValueContext(utf8Encode(name)));
  }

  encryptTags(tags: Tags): StoredTag[] {
    return Object.keys(tags).map((name) => ({
      name: this.tagNameEnc(name),
      plain: isPlainTagName(name),
      value: this.tagValueIndex(name, tags[name]),
    }));
  }

  encryptItem(item: WalletItem): StoredItem {
    const type = this.typeEnc(item.type);
    const id = this.idEnc(item.id);
    const sealed = sealValue(this.keys.value, cborEncode([item.type, item.id, item.value, item.tags]), itemAad(type, id));
    return { type, id, value: sealed, tags: this.encryptTags(item.tags) };
  }

  /**
   * Opens a stored item. Any failure (authentication, shape, or a sealed
   * type/id other than the row's) is `wallet.corrupted_item`.
   */
  decryptItem(stored: StoredItem, expectedType?: string): WalletItem {
    const plain = openValue(this.keys.value, stored.value, itemAad(stored.type, stored.id));
    let decoded: unknown;
    try {
      decoded = cborDecode(plain, { maxDepth: 3 });
    } catch (e) {
      throw corrupted('item value does not decode', e);
    }
    if (!Array.isArray(decoded) || decoded.length !== 4) throw corrupted('item value has the wrong shape');
    const [type, id, value, rawTags] = decoded as unknown[];
    if (typeof type !== 'string' || typeof id !== 'string' || typeof value !== 'string') throw corrupted('item value has the wrong shape');
    if (typeof rawTags !== 'object' || rawTags === null || Array.isArray(rawTags) || rawTags instanceof Map) {
      throw corrupted('item tags have the wrong shape');
    }
    const tags: Tags = {};
    for (const name of Object.keys(rawTags)) {
      const v = (rawTags as Record<string, unknown>)[name];
      if (typeof v !== 'string') throw corrupted('item tags have the wrong shape');
      setTag(tags, name, v);
    }
    if (expectedType !== undefined && type !== expectedType) throw corrupted('item is stored under another type');
    return { type, id, value, tags };
  }

  /** The storage form of a parsed WQL query. */
  encryptQuery(q: WqlQuery): StorageQuery {
    switch (q.op) {
      case 'and':
      case 'or':
        return { op: q.op, subs: q.subs.map((s) => this.encryptQuery(s)) };
      case 'not':
        return { op: 'not', sub: this.encryptQuery(q.sub) };
      case 'in':
        return { op: 'in', name: this.tagNameEnc(q.name), plain: isPlainTagName(q.name), values: q.values.map((v) => this.tagValueIndex(q.name, v)) };
      default:
        // `like` patterns travel as UTF-8 text; the parser allows them on plain tags only.
        return { op: q.op, name: this.tagNameEnc(q.name), plain: isPlainTagName(q.name), value: this.tagValueIndex(q.name, q.value) };
    }
  }
}

/** The same query over plaintext tags (the wallet's re-check of results). */
export function plainQuery(q: WqlQuery): QueryNode<string> {
  switch (q.op) {
    case 'and':
    case 'or':
      return { op: q.op, subs: q.subs.map(plainQuery) };
    case 'not':
      return { op: 'not', sub: plainQuery(q.sub) };
    case 'in':
      return { op: 'in', name: q.name, plain: isPlainTagName(q.name), values: q.values.map(utf8Encode) };
    default:
      return { op: q.op, name: q.name, plain: isPlainTagName(q.name), value: utf8Encode(q.value) };
  }
}

/** Looks up a plaintext tag's UTF-8 value (for evaluateQuery over decrypted tags). */
export function plainTagLookup(tags: Tags): (name: string) => Uint8Array | undefined {
  return (name) => (Object.prototype.hasOwnProperty.call(tags, name) ? utf8Encode(tags[name]) : undefined);
}
