/**
 * The owner's wallet as the phone app keeps it: a protocols/wallet Wallet
 * (items encrypted under a key from the passphrase, Argon2id) in IndexedDB.
 * What is in it, one item type each, the value being JSON:
 *
 *   settings       'app'             {manufacturerUrl, manufacturerDid}
 *   device         device DID        PairedDevice (DIDs, pairwise secrets, imprint, certificate, open transfer)
 *   relationship   device DID        ManufacturerRelationship formed through that device's introduction
 *   authorization  credential id     {device, credential, state: active|revoked, sharedWithManufacturer}
 *   support        support thread id {device, handle, subject, messages[]}
 *
 * Secrets stay inside the wallet's encrypted values; export/import is the
 * wallet's own (protocols/wallet/export.ts, Argon2id-keyed XChaCha20 chunks),
 * so an export opens in any ssiot wallet (`ssiot wallet import`).
 */
import type { PairedDevice } from '../agent.ts';
import type { ManufacturerRelationship, RelayedSupport, SupportHandle } from '../conduit.ts';
import type { VerifiableCredential } from '../../protocols/vc/credential.ts';
import { Wallet } from '../../protocols/wallet/wallet.ts';
import type { Argon2Params } from '../../protocols/wallet/kdf.ts';
import type { WalletStorage } from '../../protocols/wallet/types.ts';

export interface AppSettings {
  /** Where the manufacturer's HTTP service really is (did.jsonl and the owner endpoint), e.g. http://localhost:8080. */
  manufacturerUrl: string;
  /** The manufacturer DID this owner trusts (device certificates must be issued by it). */
  manufacturerDid: string;
}

export interface StoredAuthorization {
  device: string;
  credential: VerifiableCredential;
  state: 'active' | 'revoked';
  /** True once the VC was also handed to the manufacturer (when the app could). */
  sharedWithManufacturer: boolean;
}

export interface StoredSupport {
  device: string;
  handle: SupportHandle;
  subject: string;
  messages: { from: RelayedSupport['from']; text: string }[];
}

const T = { settings: 'settings', device: 'device', relationship: 'relationship', authorization: 'authorization', support: 'support' } as const;

/** The app's records over a Wallet. */
export class OwnerVault {
  private constructor(readonly wallet: Wallet) {}

  static async create(storage: WalletStorage, passphrase: string, argon2?: Argon2Params): Promise<OwnerVault> {
    return new OwnerVault(await Wallet.create(storage, { passphrase, ...(argon2 ? { argon2 } : {}) }));
  }

  static async open(storage: WalletStorage, passphrase: string): Promise<OwnerVault> {
    return new OwnerVault(await Wallet.open(storage, { passphrase }));
  }

  private async put(type: string, id: string, value: unknown, tags?: Record<string, string>): Promise<void> {
    const json = JSON.stringify(value);
    if (await this.wallet.get(type, id)) await this.wallet.update(type, id, { value: json, ...(tags ? { tags } : {}) });
    else await this.wallet.add({ type, id, value: json, ...(tags ? { tags } : {}) });
  }

  private async getJson<V>(type: string, id: string): Promise<V | undefined> {
    const item = await this.wallet.get(type, id);
    return item ? (JSON.parse(item.value) as V) : undefined;
  }

  private async all<V>(type: string, query?: Record<string, string>): Promise<V[]> {
    return (await this.wallet.search(type, query)).map((i) => JSON.parse(i.value) as V);
  }

  settings(): Promise<AppSettings | undefined> {
    return this.getJson<AppSettings>(T.settings, 'app');
  }

  saveSettings(s: AppSettings): Promise<void> {
    return this.put(T.settings, 'app', s);
  }

  devices(): Promise<PairedDevice[]> {
    return this.all<PairedDevice>(T.device);
  }

  saveDevice(d: PairedDevice): Promise<void> {
    return this.put(T.device, d.device.did, d, { manufacturer: d.manufacturer });
  }

  /** Forgets a device this owner no longer holds (transferred), with its relationship, authorizations and threads. */
  async forgetDevice(deviceDid: string): Promise<void> {
    await this.wallet.delete(T.device, deviceDid);
    await this.wallet.delete(T.relationship, deviceDid);
    for (const t of [T.authorization, T.support]) for (const item of await this.wallet.search(t, { device: deviceDid })) await this.wallet.delete(t, item.id);
  }

  relationship(deviceDid: string): Promise<ManufacturerRelationship | undefined> {
    return this.getJson<ManufacturerRelationship>(T.relationship, deviceDid);
  }

  saveRelationship(deviceDid: string, rel: ManufacturerRelationship): Promise<void> {
    return this.put(T.relationship, deviceDid, rel, { theirDid: rel.theirDid });
  }

  authorizations(deviceDid: string): Promise<StoredAuthorization[]> {
    return this.all<StoredAuthorization>(T.authorization, { device: deviceDid });
  }

  saveAuthorization(a: StoredAuthorization): Promise<void> {
    return this.put(T.authorization, String(a.credential.id), a, { device: a.device, state: a.state });
  }

  supportThreads(deviceDid: string): Promise<StoredSupport[]> {
    return this.all<StoredSupport>(T.support, { device: deviceDid });
  }

  supportThread(id: string): Promise<StoredSupport | undefined> {
    return this.getJson<StoredSupport>(T.support, id);
  }

  saveSupport(s: StoredSupport): Promise<void> {
    return this.put(T.support, s.handle.supportThreadId, s, { device: s.device });
  }

  /** The whole wallet as an encrypted export file (its own passphrase). */
  export(passphrase: string): Promise<Uint8Array> {
    return this.wallet.export({ passphrase });
  }

  /** Fills this (new, empty) wallet from an export file; returns the item count. */
  import(file: Uint8Array, passphrase: string): Promise<number> {
    return this.wallet.import(file, { passphrase });
  }

  close(): Promise<void> {
    return this.wallet.close();
  }
}
