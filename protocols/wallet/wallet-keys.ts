/**
 * Keys that live in the wallet: created inside it, used by handle through
 * KeyOperations (key-ops.ts), never handed out. The only way a private key
 * leaves is a wallet export.
 *
 * Storage: reserved item types that the public item API refuses
 *   `ssiot:key`        id = handle; value = JSON {kind, d, x} (private and
 *                      public key, base64url); tags = user tags +
 *                      `~kind` and `~public` (Multikey of the public key)
 *   `ssiot:key-alias`  id = alias (e.g. a DID URL); value = handle; tag `~key`
 * The handle of a created key is its public Multikey (`z6Mk…`) unless the
 * caller names it. Aliases exist because a key's DID URL is only known after
 * the key (did:key, did:peer derive the DID from it).
 */
import { base64urlDecode, base64urlEncode } from '../encoding/base64url.ts';
import { publicKeyToMultikey, type PrivateKey } from '../did/keys.ts';
import { WalletError, isSsiotError } from '../errors.ts';
import {
  type HeldKey,
  type JweUnwrapRequest,
  type KeyInfo,
  type KeyOperations,
  type WalletKeyKind,
  generateKeyPair,
  isWalletKeyKind,
  keyOperations,
  publicKeyOf,
} from './key-ops.ts';
import type { PublicKey } from '../did/keys.ts';
import type { SearchOptions, Tags, WalletItem } from './types.ts';
import { checkTags, setTag } from './validate.ts';
import type { WqlInput } from './wql.ts';

export const KEY_TYPE = 'ssiot:key';
export const KEY_ALIAS_TYPE = 'ssiot:key-alias';
/** Item types starting with this are the wallet's own; the item API refuses them. */
export const RESERVED_TYPE_PREFIX = 'ssiot:';

/** The item access WalletKeys needs (the wallet gives it one that may touch reserved types). */
export interface ItemAccess {
  add(item: WalletItem): Promise<void>;
  get(type: string, id: string): Promise<WalletItem | undefined>;
  search(type: string, query: WqlInput, options?: SearchOptions): Promise<WalletItem[]>;
  delete(type: string, id: string): Promise<boolean>;
}

const SYSTEM_TAGS = ['~kind', '~public'];

function keyRecord(kind: WalletKeyKind, sk: Uint8Array, pk: Uint8Array): string {
  return JSON.stringify({ kind, d: base64urlEncode(sk), x: base64urlEncode(pk) });
}

function corruptKey(kid: string, cause?: unknown): WalletError {
  return new WalletError('wallet.corrupted_item', `key ${kid} is not a valid key record`, cause === undefined ? undefined : { cause });
}

function toHeld(item: WalletItem): HeldKey {
  let parsed: { kind?: unknown; d?: unknown; x?: unknown };
  try {
    parsed = JSON.parse(item.value) as typeof parsed;
  } catch (e) {
    throw corruptKey(item.id, e);
  }
  if (!isWalletKeyKind(parsed.kind) || typeof parsed.d !== 'string' || typeof parsed.x !== 'string') throw corruptKey(item.id);
  try {
    const tags: Tags = {};
    for (const name of Object.keys(item.tags)) if (!SYSTEM_TAGS.includes(name)) setTag(tags, name, item.tags[name]);
    return { kid: item.id, kind: parsed.kind, privateKey: base64urlDecode(parsed.d), publicKey: base64urlDecode(parsed.x), tags };
  } catch (e) {
    throw corruptKey(item.id, e);
  }
}

function checkKid(kid: unknown, what = 'kid'): string {
  if (typeof kid !== 'string' || kid.length === 0) throw new WalletError('wallet.invalid_key', `${what} must be a non-empty string`);
  return kid;
}

/** The wallet's keys: management plus KeyOperations. */
export class WalletKeys implements KeyOperations {
  private readonly items: ItemAccess;
  private readonly ops: KeyOperations;

  constructor(items: ItemAccess) {
    this.items = items;
    this.ops = keyOperations((kid) => this.load(kid));
  }

  /** The held key for a handle or alias (internal: the secret stays in this module). */
  private async load(kid: string): Promise<HeldKey | undefined> {
    if (typeof kid !== 'string' || kid.length === 0) return undefined;
    let item = await this.items.get(KEY_TYPE, kid);
    if (!item) {
      const alias = await this.items.get(KEY_ALIAS_TYPE, kid);
      if (alias) item = await this.items.get(KEY_TYPE, alias.value);
    }
    return item && toHeld(item);
  }

  private async store(kid: string, kind: WalletKeyKind, sk: Uint8Array, pk: Uint8Array, tags: Tags | undefined): Promise<KeyInfo> {
    const userTags = checkTags(tags);
    for (const n of SYSTEM_TAGS) {
      if (Object.prototype.hasOwnProperty.call(userTags, n)) throw new WalletError('wallet.invalid_item', `tag ${n} is set by the wallet`);
    }
    const publicKey: PublicKey = { kind, bytes: pk };
    const all: Tags = { ...userTags };
    all['~kind'] = kind;
    all['~public'] = publicKeyToMultikey(publicKey);
    if (await this.items.get(KEY_ALIAS_TYPE, kid)) throw new WalletError('wallet.duplicate', `${kid} is already an alias of another key`);
    await this.items.add({ type: KEY_TYPE, id: kid, value: keyRecord(kind, sk, pk), tags: all });
    return { kid, kind, publicKey, tags: userTags };
  }

  /** Creates a key inside the wallet. The handle defaults to the public Multikey. */
  async create(kind: WalletKeyKind, options: { kid?: string; tags?: Tags } = {}): Promise<KeyInfo> {
    if (!isWalletKeyKind(kind)) throw new WalletError('wallet.unsupported_key_type', `cannot create ${String(kind)} keys (Ed25519, X25519, P-256)`);
    const { privateKey, publicKey } = generateKeyPair(kind);
    const kid = options.kid === undefined ? publicKeyToMultikey({ kind, bytes: publicKey }) : checkKid(options.kid);
    return this.store(kid, kind, privateKey, publicKey, options.tags);
  }

  /** Brings an existing private key in (e.g. from a secrets file). */
  async import(kid: string, privateKey: PrivateKey, options: { tags?: Tags } = {}): Promise<KeyInfo> {
    checkKid(kid);
    if (!privateKey || !isWalletKeyKind(privateKey.kind)) {
      throw new WalletError('wallet.unsupported_key_type', `cannot hold ${String(privateKey && privateKey.kind)} keys (Ed25519, X25519, P-256)`);
    }
    let pk: Uint8Array;
    try {
      if (!(privateKey.bytes instanceof Uint8Array) || privateKey.bytes.length !== 32) throw new WalletError('wallet.invalid_key', 'private keys are 32 bytes');
      pk = publicKeyOf(privateKey.kind, privateKey.bytes);
    } catch (e) {
      if (isSsiotError(e) && e.code.startsWith('wallet.')) throw e;
      throw new WalletError('wallet.invalid_key', `not a usable ${privateKey.kind} private key`, { cause: e });
    }
    return this.store(kid, privateKey.kind, privateKey.bytes.slice(), pk, options.tags);
  }

  /** Makes `alias` (e.g. `did:peer:2…#key-1`) refer to the key `kid`. */
  async addAlias(kid: string, alias: string): Promise<void> {
    checkKid(alias, 'alias');
    const held = await this.load(checkKid(kid));
    if (!held) throw new WalletError('wallet.key_not_found', `no key ${kid}`);
    if (await this.items.get(KEY_TYPE, alias)) throw new WalletError('wallet.duplicate', `${alias} is already a key handle`);
    await this.items.add({ type: KEY_ALIAS_TYPE, id: alias, value: held.kid, tags: { '~key': held.kid } });
  }

  /** Keys whose tags match a WQL query (`~kind`, `~public` and user tags). */
  async list(query?: WqlInput, options?: SearchOptions): Promise<KeyInfo[]> {
    const items = await this.items.search(KEY_TYPE, query, options);
    return items.map((item) => {
      const k = toHeld(item);
      return { kid: k.kid, kind: k.kind, publicKey: { kind: k.kind, bytes: k.publicKey }, tags: k.tags };
    });
  }

  /** Deletes a key and its aliases; false when there was no such key. */
  async delete(kid: string): Promise<boolean> {
    const held = await this.load(checkKid(kid));
    if (!held) return false;
    for (const alias of await this.items.search(KEY_ALIAS_TYPE, { '~key': held.kid })) await this.items.delete(KEY_ALIAS_TYPE, alias.id);
    return this.items.delete(KEY_TYPE, held.kid);
  }

  findKeys(kids: readonly string[]): Promise<string[]> {
    return this.ops.findKeys(kids);
  }

  getKey(kid: string): Promise<KeyInfo | undefined> {
    return this.ops.getKey(kid);
  }

  sign(kid: string, data: Uint8Array): Promise<Uint8Array> {
    return this.ops.sign(kid, data);
  }

  deriveSharedSecret(kid: string, peer: PublicKey): Promise<Uint8Array> {
    return this.ops.deriveSharedSecret(kid, peer);
  }

  unwrapKey(kid: string, request: JweUnwrapRequest): Promise<Uint8Array> {
    return this.ops.unwrapKey(kid, request);
  }
}
