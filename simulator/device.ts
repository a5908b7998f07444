/**
 * A virtual coffee grinder whose agent (device/agent.ts) runs on Node: the
 * storage and host of host.ts, the radio of net.ts, firmware images over
 * HTTP through the fault wrapper, the grinder model on a timer.
 *
 * Boots: a reboot (power back after a cut, the updater's restart request) is
 * a new DeviceAgent over the same storage, with the bootloader
 * (slots.boot()) choosing the image first and a new PowerGate over the
 * wallet store (the old agent can no longer write).
 */
import { DeviceAgent, type DeviceAgentOptions } from '../device/agent.ts';
import type { LabelOutput } from '../device/host.ts';
import { loadPairing } from '../device/manufacture.ts';
import { manufacturerContact } from '../device/manufacturer-link.ts';
import { AUDIT_RECORD } from '../device/policy.ts';
import type { DeviceState } from '../device/state.ts';
import { loadGrinder, saveGrinder } from '../device/telemetry.ts';
import { UPDATE_RECORD_KEY, type UpdateRecord } from '../device/updater/updater.ts';
import type { AuditEntry } from '../protocols/messages/policy.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import { PowerGate } from './faults.ts';
import { openStorage, SimHost, type DeviceStorage } from './host.ts';
import { DeviceNet, SimulatorError, type BrokerIdentity } from './net.ts';
import { provisionDevice, type ServiceLink } from './provision.ts';
import { grindCycle, grinderView } from './grind.ts';
import { DeviceShell } from './shell.ts';
import { shortDid, type DeviceView, type SimDeviceOptions, type VirtualDevice } from './virtual-device.ts';

export { SimulatorError, shortDid };
export type { DeviceView, ServiceLink, SimDeviceOptions };

export class SimDevice extends DeviceShell implements VirtualDevice {
  readonly engine = 'node' as const;
  agent!: DeviceAgent;
  host!: SimHost;
  label: LabelOutput | undefined;
  /** Whether the next self-test of a new image passes. */
  healthy = true;
  private gate: PowerGate | undefined;

  private constructor(
    options: SimDeviceOptions,
    net: DeviceNet,
    readonly storage: DeviceStorage,
  ) {
    super(options, net);
  }

  get state(): DeviceState {
    return this.agent.state;
  }

  /** Storage, local endpoint, first boot. */
  static async create(o: SimDeviceOptions): Promise<SimDevice> {
    const d = new SimDevice(o, await DeviceNet.listen(o.host, o.cors), openStorage(o.storage, o.dir, o.slotCapacity));
    try {
      await d.powerOn();
    } catch (e) {
      await d.close();
      throw e;
    }
    return d;
  }

  private agentOptions(): DeviceAgentOptions {
    const o = this.options;
    return {
      hardware: { ...o.hardware, serial: o.serial },
      pbkdf: o.pbkdf,
      windowMs: o.windowMs,
      firmware: { ...o.firmware, selfTest: () => this.healthy },
      deliverToOwner: o.push && (async (packed, ownerDid) => (o.push as NonNullable<typeof o.push>)(packed, ownerDid)),
    };
  }

  protected async bootAgent(): Promise<void> {
    this.gate?.retire();
    const gate = new PowerGate(this.storage.wallet, () => {
      if (gate === this.gate) this.poweredOff();
    });
    this.gate = gate;
    this.storage.slots.boot();
    this.host = new SimHost({
      storage: this.storage,
      gate,
      transport: this.net,
      images: this.images,
      logger: this.logger,
      restart: () => void this.scheduleReboot('restart'),
      showLabel: (label) => (this.label = label),
    });
    this.agent = await DeviceAgent.boot(this.host, this.agentOptions());
    if (!this.label && this.agent.state.lifecycle !== 'factory') this.label = (await loadPairing(this.agent.wallet))?.label;
  }

  protected async brokerIdentity(): Promise<BrokerIdentity | undefined> {
    if (this.power === 'off' || !(await manufacturerContact(this.agent.wallet))) return undefined;
    return { did: this.agent.identity.did, pairingDid: this.agent.identity.pairingDid, token: () => this.agent.brokerToken() };
  }

  protected async inboxDids(): Promise<string[]> {
    const owner = this.agent.state.owner;
    return owner ? [this.agent.identity.pairingDid, owner.deviceDid] : [this.agent.identity.pairingDid];
  }

  protected async grindStep(idleMs: number): Promise<void> {
    if (this.agent.state.lifecycle === 'factory') return;
    const wallet = this.agent.wallet;
    await saveGrinder(wallet, grindCycle((await loadGrinder(wallet)).state, idleMs), this.host.now());
  }

  /**
   * The factory station (provision.ts); a device already manufactured (a
   * file-backed fleet started again) only connects to the broker.
   */
  async provision(service: ServiceLink): Promise<void> {
    if (this.agent.state.lifecycle === 'factory') {
      const p = await provisionDevice(service, this.agent.certificateRequest(), this.agent.identity.pairingDid);
      this.label = await this.agent.installCertificate(p.certificate, p.log, { contact: p.contact });
    }
    const identity = await this.brokerIdentity();
    if (identity) await this.net.connectBroker(identity, service.brokerUrl);
  }

  /** The factory-reset button (a long press). */
  async factoryReset(): Promise<void> {
    if (this.power === 'off' || !this.host.resetHandler) throw new SimulatorError('simulator.device_off', 'the device is off');
    await this.host.resetHandler();
  }

  /**
   * Cuts the power: now (`afterWrites` undefined), or at the wallet write
   * after the next `afterWrites` ones (a cut in the middle of whatever the
   * device does next). The device comes back by itself after rebootDelayMs.
   */
  powerCut(options: { afterWrites?: number } = {}): void {
    if (!this.gate || this.power === 'off') return;
    if (options.afterWrites === undefined) this.gate.cutNow();
    else this.gate.cutAfter(options.afterWrites);
  }

  /** The audit log straight from the device's wallet (every entry, oldest first). */
  async auditLog(): Promise<AuditEntry[]> {
    if (this.power === 'off') throw new SimulatorError('simulator.device_off', 'the device is off');
    const items = await this.agent.wallet.search(AUDIT_RECORD);
    return items.map((i) => JSON.parse(i.value) as AuditEntry).sort((a, b) => a.seq - b.seq);
  }

  /** The signed status list of the imprints the device issued (revoked ones: transferred away, factory reset). */
  async statusList(): Promise<VerifiableCredential> {
    if (this.power === 'off') throw new SimulatorError('simulator.device_off', 'the device is off');
    return this.agent.statusList();
  }

  /** The dashboard's view (a device that is off shows its last state and no grinder). */
  async view(): Promise<DeviceView> {
    const s = this.agent.state;
    const on = this.power === 'on';
    const running = await this.storage.slots.running();
    const recordText = await this.storage.kv.get(UPDATE_RECORD_KEY);
    const r = recordText ? (JSON.parse(recordText) as UpdateRecord) : undefined;
    const grinder = on && s.lifecycle !== 'factory' ? (await loadGrinder(this.agent.wallet).catch(() => undefined))?.state : undefined;
    const contact = on ? await manufacturerContact(this.agent.wallet).catch(() => undefined) : undefined;
    return this.composeView({
      engine: this.engine,
      did: this.agent.identity.did,
      pairingDid: this.agent.identity.pairingDid,
      state: s,
      label: this.label,
      manufacturer: contact?.publicDid ?? null,
      firmware: { slot: running.slot, trial: running.trial, sequence: running.image?.sequence ?? null, digest: running.image?.digest ?? null },
      update: r,
      grinder: grinder ? grinderView(grinder) : null,
      lastRefusal: this.agent.lastRefusal?.code ?? null,
      powerCutArmed: this.gate?.armed ?? false,
    });
  }
}
