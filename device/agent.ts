/**
 * The device agent: boots on a host (host.ts), keeps its lifecycle in the
 * wallet (state.ts), and ties manufacture, pairing, imprint and factory
 * reset together. One object per boot: a reboot is a new DeviceAgent over
 * the same host storage.
 *
 * Inbound DIDComm: only authcrypt envelopes are accepted (the sender must
 * be proven); a replay guard refuses a message id seen before. Refusals of
 * unauthenticated input are dropped (no reply to an unknown party) and
 * logged by code; authenticated peers get a report-problem message.
 *
 * HANDLER REGISTRY (how feature modules add protocols; issue 6):
 * - pairing messages (DEVICE_PAIRING_TYPES) keep their own path (PairingResponder);
 * - `agent.registerOwnerHandler(type, handler)`: messages only the CURRENT
 *   owner may send, over the owner's pairwise relationship (from = owner.did,
 *   encrypted to owner.deviceDid); anyone else gets `e.p.trust.not-owner`;
 * - `agent.registerPeerHandler(type, handler)`: messages from any
 *   authenticated sender (e.g. the manufacturer's DIDComm relationship);
 * - `agent.registerCleanup(fn)`: runs whenever relationships change (pairing,
 *   transfer, reset, boot), to drop state that belongs to former owners.
 * A handler gets an InboundContext / OwnerContext (agent, wallet, host,
 * message, sender, recipient, reply headers, problem()) and returns the
 * reply to pack, or undefined for none. Install handlers at boot through
 * `DeviceAgentOptions.features` (a DeviceFeature is `(agent) => void`);
 * BUILTIN_FEATURES (policy, service authorization, introduction, support relay) are always
 * installed; a feature passed again in `features` replaces its handlers (e.g. supportFeature
 * with the host's push channel to the owner).
 */
import { installCrypto } from '../protocols/crypto/index.ts';
import { parseSecret, type ParsedSecret } from '../protocols/did/keys.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import type { DidResolver } from '../protocols/did/types.ts';
import type { LogEntry } from '../protocols/did/webvh/types.ts';

import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createReplayGuard, type ReplayGuard } from '../protocols/didcomm/replay.ts';
import { createSecretsResolver, type SecretsResolver } from '../protocols/didcomm/secrets.ts';
import { unpack } from '../protocols/didcomm/unpack.ts';
import { isSsiotError } from '../protocols/errors.ts';
import type { PbkdfParams } from '../protocols/pake/registration.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import type { Wallet } from '../protocols/wallet/wallet.ts';
import type { DeviceDescription } from '../protocols/vc/device-credentials.ts';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import type { Headers } from '../protocols/messages/fields.ts';
import { createProblemReport, PROBLEM } from '../protocols/messages/report-problem.ts';
import { DeviceError } from './errors.ts';
import type { DeviceHost, LabelOutput } from './host.ts';
import { buildStatusListCredential, isRevoked, revokeStatusIndex } from './imprint.ts';
import { DEVICE_KEY_KID, ensureIdentity, installCertificate, loadPairing, pairingSecrets, RECORD, type DeviceIdentity, type HardwareInfo } from './manufacture.ts';
import { DEVICE_PAIRING_TYPES, DEVICE_PROBLEMS, ISSUED, PairingResponder, RELATIONSHIP, type RelationshipRecord } from './pairing.ts';
import { DeviceStateStore, windowOpen, type DeviceState, type OwnerRecord } from './state.ts';
import { getRecord, openDeviceWallet } from './store.ts';
import { policyFeature } from './policy.ts';
import { serviceAuthFeature } from './service-auth.ts';
import { introduceFeature } from './introduce.ts';
import { supportFeature } from './support.ts';
import { DeviceFirmware, type FirmwareOptions } from './firmware.ts';
import { manufacturerContact, setManufacturerContact, type ManufacturerContact } from './manufacturer-link.ts';
import { createBrokerToken } from '../protocols/didcomm/transports/mqtt-auth.ts';

/** Feature modules every device agent installs (add yours here or pass DeviceAgentOptions.features). */
export const BUILTIN_FEATURES: readonly DeviceFeature[] = [policyFeature, serviceAuthFeature, introduceFeature, supportFeature()];

export interface DeviceAgentOptions {
  hardware: HardwareInfo;
  /** How long a pairing or transfer window stays open (default 10 minutes). */
  windowMs?: number;
  /** scrypt parameters of the setup-code verifier (default RFC-recommended; tests use TEST_PBKDF). */
  pbkdf?: PbkdfParams;
  /** DID resolution for peers (default: did:key and did:peer). */
  resolver?: DidResolver;
  /** Feature modules installed at boot, after BUILTIN_FEATURES (they register handlers). */
  features?: readonly DeviceFeature[];
  /** Firmware updates (device/firmware.ts): the agent owns an Updater when given; the host must provide `images`. */
  firmware?: FirmwareOptions;
  /**
   * The host's push channel to the owner's phone (messages the device starts:
   * transfer-closed, relayed support messages). Without it a message goes to
   * the owner DID's DIDComm endpoint if it has one, else it is not delivered.
   */
  deliverToOwner?(packed: string, ownerDid: string): Promise<void>;
}

/** An authenticated inbound message, as a handler sees it. */
export interface InboundContext {
  agent: DeviceAgent;
  wallet: Wallet;
  host: DeviceHost;
  message: PlaintextMessage;
  /** `from` of the message, proven by authcrypt. */
  sender: string;
  /** The device's DID the message was encrypted to (pairwise DID for the owner, or the pairing DID). */
  recipient: string;
  /** Headers of a reply: from = recipient, to = [sender], thid = the message's thread. */
  reply: Headers & { from: string; to: string[]; thid: string };
  /** A report-problem reply on the message's thread. */
  problem(code: string, comment?: string): PlaintextMessage;
}

/** A message from the current owner over its pairwise relationship. */
export interface OwnerContext extends InboundContext {
  owner: OwnerRecord;
}

/** Returns the reply to pack and send back, or undefined for none. */
export type OwnerHandler = (ctx: OwnerContext) => Promise<PlaintextMessage | undefined>;
export type PeerHandler = (ctx: InboundContext) => Promise<PlaintextMessage | undefined>;
/** Drops state of former owners; `owner` is the current one (null when unowned). */
export type CleanupHook = (wallet: Wallet, owner: OwnerRecord | null) => Promise<void>;
/** A feature module: registers its handlers and cleanup hooks on the agent. */
export type DeviceFeature = (agent: DeviceAgent) => void;

/** Why the last inbound message was refused (tests and diagnostics). */
export interface Refusal {
  code: string;
}

export class DeviceAgent {
  private readonly resolver: DidResolver;
  private readonly replay: ReplayGuard = createReplayGuard({ maxEntries: 256 });
  private responder: PairingResponder | undefined;
  private secretsCache: ParsedSecret[] | undefined;
  private readonly ownerHandlers = new Map<string, OwnerHandler>();
  private readonly peerHandlers = new Map<string, PeerHandler>();
  private readonly cleanups: CleanupHook[] = [];
  /** The last refusal of an inbound message, by code. */
  lastRefusal: Refusal | undefined;
  /** The firmware updater and its messages (when DeviceAgentOptions.firmware is set). */
  firmware: DeviceFirmware | undefined;

  private constructor(
    private readonly host: DeviceHost,
    readonly wallet: Wallet,
    readonly identity: DeviceIdentity,
    private readonly store: DeviceStateStore,
    private readonly options: DeviceAgentOptions,
  ) {
    this.resolver = options.resolver ?? createDefaultResolver();
  }

  /** Boots the device: crypto, wallet, identity (first boot creates it), state, cleanup, inputs. */
  static async boot(host: DeviceHost, options: DeviceAgentOptions): Promise<DeviceAgent> {
    if (host.crypto && Object.keys(host.crypto).length > 0) installCrypto(host.crypto);
    const wallet = await openDeviceWallet(host);
    const identity = await ensureIdentity(wallet, host.transport.endpoint);
    const store = await DeviceStateStore.load(wallet);
    const agent = new DeviceAgent(host, wallet, identity, store, options);
    for (const feature of [...BUILTIN_FEATURES, ...(options.features ?? [])]) feature(agent);
    await agent.finishInterruptedReset();
    await agent.cleanup();
    await agent.startPairing();
    host.transport.listen((packed) => agent.receive(packed));
    if (options.firmware) {
      // after listen: the boot step may send queued status reports over the manufacturer link
      agent.firmware = new DeviceFirmware(agent, options.firmware);
      await agent.firmware.boot();
    }
    host.onFactoryReset(() => agent.factoryReset());
    if (store.current.lifecycle !== 'factory' && windowOpen(store.current, host.now())) await agent.showLabel();
    host.logger.log('info', 'device booted', { did: identity.did, lifecycle: store.current.lifecycle });
    return agent;
  }

  get state(): DeviceState {
    return this.store.current;
  }

  /** How this agent resolves peers' DIDs (feature modules verify credentials with it). */
  get peerResolver(): DidResolver {
    return this.resolver;
  }

  /** The host this agent runs on (clock, logger, transport, stores) for feature modules. */
  get platform(): DeviceHost {
    return this.host;
  }

  /** Handles `type` from the current owner only (others get e.p.trust.not-owner); replaces an earlier handler. */
  registerOwnerHandler(type: string, handler: OwnerHandler): void {
    this.ownerHandlers.set(type, handler);
  }

  /** Handles `type` from any authenticated sender (checks who is allowed in the handler). */
  registerPeerHandler(type: string, handler: PeerHandler): void {
    this.peerHandlers.set(type, handler);
  }

  /** Runs `hook` whenever relationships change (pairing, transfer, reset, boot); the same hook twice runs once. */
  registerCleanup(hook: CleanupHook): void {
    if (!this.cleanups.includes(hook)) this.cleanups.push(hook);
  }

  private get windowMs(): number {
    return this.options.windowMs ?? 10 * 60 * 1000;
  }

  /** What the factory station needs to issue the device certificate. */
  certificateRequest(): DeviceDescription {
    return { did: this.identity.did, ...this.options.hardware };
  }

  /**
   * The factory step on the device: verify + pin + pairing material, then
   * unowned with a pairing window. The station may also hand over the
   * manufacturer agent's contact (its DIDComm DID; `publicDid` must be the
   * certificate's issuer), kept across factory resets.
   */
  async installCertificate(certificate: unknown, manufacturerLog: readonly LogEntry[], factory: { contact?: ManufacturerContact } = {}): Promise<LabelOutput> {
    if (this.store.current.lifecycle !== 'factory') throw new DeviceError('device.already_manufactured', 'the device already has its certificate');
    const issuer = (certificate as { issuer?: unknown } | null)?.issuer;
    if (factory.contact && factory.contact.publicDid !== issuer) {
      throw new DeviceError('device.invalid_contact', "the manufacturer contact does not name the certificate's issuer");
    }
    // the contact first: `manufactured` (below) is the commit point, a power cut before it repeats the station
    if (factory.contact) await setManufacturerContact(this.wallet, factory.contact);
    const m = await installCertificate(this.wallet, this.host.kv, this.identity, certificate, manufacturerLog, {
      hardware: this.options.hardware,
      pbkdf: this.options.pbkdf,
      now: new Date(this.host.now()),
    });
    await this.store.apply({ type: 'manufactured', expiresAt: this.host.now() + this.windowMs });
    await this.startPairing();
    this.host.showLabel(m.pairing.label);
    return m.pairing.label;
  }

  /**
   * A token for the manufacturer's MQTT broker (the MQTT password; username
   * = the device DID): signed by the device key, for the manufacturer
   * agent's DID (`aud`), valid `ttlSeconds` from the device's clock. A new
   * one for every connection: the broker refuses a token twice.
   */
  async brokerToken(ttlSeconds?: number): Promise<string> {
    const contact = await manufacturerContact(this.wallet);
    if (!contact) throw new DeviceError('device.no_manufacturer', 'no manufacturer contact is installed');
    return createBrokerToken({ did: this.identity.did, sign: (bytes) => this.wallet.keys.sign(DEVICE_KEY_KID, bytes), audience: contact.did, now: this.host.now(), ttlSeconds });
  }

  /** The device certificate, once manufactured. */
  async certificate(): Promise<VerifiableCredential | undefined> {
    return getRecord<VerifiableCredential>(this.wallet, RECORD, 'certificate');
  }

  /** The signed status list of the imprints this device issued (what verifiers fetch). */
  async statusList(): Promise<VerifiableCredential> {
    return buildStatusListCredential(this.wallet, this.identity.did, new Date(this.host.now()));
  }

  /** The pairing button: reopens the pairing window of an unowned device (attempts start at 0). */
  async openPairingWindow(): Promise<void> {
    await this.store.apply({ type: 'open_pairing', expiresAt: this.host.now() + this.windowMs });
    this.responder?.clear();
    await this.showLabel();
  }

  /**
   * Factory reset (the host's input): revokes the owner's imprint, forgets
   * owner relationships, issued-credential records and attempt counters;
   * keeps keys, certificate and the manufacturer anchor. Revocation is
   * written first, so a power cut cannot leave a forgotten but valid imprint.
   */
  async factoryReset(): Promise<void> {
    const s = this.store.current;
    if (s.lifecycle === 'factory') throw new DeviceError('device.not_manufactured', 'nothing to reset before manufacture');
    if (s.owner) await revokeStatusIndex(this.wallet, s.owner.imprintIndex);
    await this.store.apply({ type: 'factory_reset', expiresAt: this.host.now() + this.windowMs });
    this.responder?.clear();
    await this.cleanup();
    this.host.logger.log('info', 'factory reset', { lifecycle: this.store.current.lifecycle });
    await this.showLabel();
  }

  /**
   * A factory reset (or a transfer) revokes the owner's imprint before it
   * forgets the owner. Booting owned with a revoked imprint means the power
   * went off between the two: an owner whose imprint is revoked is no owner,
   * so the reset is completed.
   */
  private async finishInterruptedReset(): Promise<void> {
    const owner = this.store.current.owner;
    if (owner && (await isRevoked(this.wallet, owner.imprintIndex))) {
      await this.store.apply({ type: 'factory_reset', expiresAt: this.host.now() + this.windowMs });
      this.host.logger.log('warn', 'completed an interrupted factory reset', {});
    }
  }

  /** Handles one inbound envelope; resolves to the packed reply, if any. */
  async receive(packed: string): Promise<string | undefined> {
    let message;
    let metadata;
    try {
      ({ message, metadata } = await unpack(packed, {
        resolver: this.resolver,
        secrets: this.secrets(),
        replayGuard: this.replay,
        now: Math.floor(this.host.now() / 1000),
      }));
    } catch (e) {
      return this.refuse(isSsiotError(e) ? e.code : 'device.unreadable');
    }
    if (!metadata.encrypted || !metadata.authenticated || !metadata.encrypted_from_kid || !message.from) return this.refuse('device.not_authcrypt');
    let reply: PlaintextMessage | undefined;
    if (this.responder && DEVICE_PAIRING_TYPES.includes(message.type)) reply = await this.responder.handle(message);
    else if (this.ownerHandlers.has(message.type) || this.peerHandlers.has(message.type)) reply = await this.dispatch(message, metadata.encrypted_to_kids ?? []);
    else return this.refuse('device.unsupported_message');
    if (!reply) return undefined;
    if (reply.type.includes('problem-report')) this.lastRefusal = { code: String(reply.body.code) };
    const out = await packEncrypted(reply, { to: message.from, from: reply.from, resolver: this.resolver, secrets: this.secrets() });
    return out.packed;
  }

  /** Registry dispatch: owner handlers check the sender and the relationship first; a handler's crash becomes a problem report. */
  private async dispatch(message: PlaintextMessage, toKids: readonly string[]): Promise<PlaintextMessage | undefined> {
    const sender = message.from as string;
    const owner = this.store.current.owner;
    const ours = [owner?.deviceDid, this.identity.pairingDid];
    const recipient = toKids.map((k) => k.split('#')[0]).find((d) => ours.includes(d)) ?? this.identity.pairingDid;
    const thid = message.thid ?? message.id;
    const ctx: InboundContext = {
      agent: this,
      wallet: this.wallet,
      host: this.host,
      message,
      sender,
      recipient,
      reply: { from: recipient, to: [sender], thid, createdTime: Math.floor(this.host.now() / 1000) },
      problem: (code, comment) => ({ ...createProblemReport({ code, comment, pthid: thid, ack: message.id, from: recipient, to: [sender] }), thid }),
    };
    try {
      const ownerHandler = this.ownerHandlers.get(message.type);
      if (ownerHandler) {
        if (!owner || sender !== owner.did || recipient !== owner.deviceDid) return ctx.problem(DEVICE_PROBLEMS.notOwner);
        return await ownerHandler({ ...ctx, owner });
      }
      return await (this.peerHandlers.get(message.type) as PeerHandler)(ctx);
    } catch (e) {
      this.host.logger.log('warn', 'handler failed', { type: message.type, code: isSsiotError(e) ? e.code : 'device.handler_failed' });
      return ctx.problem(isSsiotError(e) && e.code.startsWith('protocol.') ? DEVICE_PROBLEMS.invalidMessage : PROBLEM.internal);
    }
  }

  private refuse(code: string): undefined {
    this.lastRefusal = { code };
    this.host.logger.log('warn', 'inbound message refused', { code });
    return undefined;
  }

  private async startPairing(): Promise<void> {
    const certificate = await this.certificate();
    if (!certificate) return;
    const s = certificate.credentialSubject as Record<string, string>;
    const description: DeviceDescription = { did: s.id, model: s.model, serial: s.serial, vendorId: s.vendorId, classId: s.classId, hardwareRevision: s.hardwareRevision };
    this.responder = new PairingResponder({
      wallet: this.wallet,
      state: this.store,
      identity: this.identity,
      certificate,
      description,
      endpoint: this.host.transport.endpoint,
      now: () => this.host.now(),
      relationshipsChanged: () => this.cleanup(),
      pushToOwner: (owner, msg) => this.pushToOwner(owner, msg),
    });
  }

  /**
   * Authcrypts `msg` from the device's pairwise DID for `owner` and pushes it
   * (`deliver`, else DeviceAgentOptions.deliverToOwner, else the owner DID's
   * DIDComm endpoint); false when there is no way to reach the owner now.
   * Needs the relationship record: call it before a relationship is closed.
   */
  async pushToOwner(owner: { did: string; deviceDid: string }, msg: PlaintextMessage, deliver?: (packed: string) => Promise<void>): Promise<boolean> {
    const rel = await getRecord<RelationshipRecord>(this.wallet, RELATIONSHIP, owner.deviceDid);
    if (!rel) return false;
    const secrets = createSecretsResolver(rel.secrets.map((s) => parseSecret(s)));
    const out = await packEncrypted({ ...msg, from: owner.deviceDid, to: [owner.did] }, { to: owner.did, from: owner.deviceDid, resolver: this.resolver, secrets });
    try {
      if (deliver) await deliver(out.packed);
      else if (this.options.deliverToOwner) await this.options.deliverToOwner(out.packed, owner.did);
      else if (out.serviceMetadata) await this.host.transport.send(out.serviceMetadata.serviceEndpoint, out.packed);
      else return false;
      return true;
    } catch {
      return false;
    }
  }

  private async showLabel(): Promise<void> {
    const p = await loadPairing(this.wallet);
    if (p) this.host.showLabel(p.label);
  }

  /** Secrets of the pairing DID and of the current relationships, read from the wallet on demand. */
  private secrets(): SecretsResolver {
    const load = async (): Promise<ParsedSecret[]> => {
      if (!this.secretsCache) {
        const all = await pairingSecrets(this.wallet);
        for (const item of await this.wallet.search(RELATIONSHIP)) {
          for (const s of (JSON.parse(item.value) as RelationshipRecord).secrets) all.push(parseSecret(s));
        }
        this.secretsCache = all;
      }
      return this.secretsCache;
    };
    return {
      getSecret: async (kid) => (await load()).find((s) => s.id === kid),
      findSecrets: async (kids) => {
        const have = await load();
        return kids.filter((k) => have.some((s) => s.id === k));
      },
    };
  }

  /**
   * Removes what the state no longer refers to: relationships other than
   * the current owner's, issued-credential records of former owners (what
   * a reset or a power cut in the middle of pairing left behind).
   */
  private async cleanup(): Promise<void> {
    this.secretsCache = undefined;
    const owner = this.store.current.owner;
    for (const item of await this.wallet.search(RELATIONSHIP)) {
      if (!owner || item.id !== owner.deviceDid) await this.wallet.delete(RELATIONSHIP, item.id);
    }
    for (const item of await this.wallet.search(ISSUED)) {
      if (!owner || item.id !== String(owner.imprintIndex)) await this.wallet.delete(ISSUED, item.id);
    }
    if (this.store.current.window?.kind !== 'transfer') await this.wallet.delete(RECORD, 'transfer');
    for (const hook of this.cleanups) await hook(this.wallet, owner);
  }
}
