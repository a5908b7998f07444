/**
 * What every virtual device has around its agent, whichever engine runs it:
 * the radio (net.ts), the firmware image source with its faults, the log,
 * the power state and reboots, the grinder's timer. Subclasses boot the
 * agent (device.ts on Node, xs-device.ts in an xsnap worker).
 */
import { httpImageSource } from '../hosts/node/http-images.ts';
import { isSsiotError } from '../protocols/errors.ts';
import { FaultyImageSource } from './faults.ts';
import { RingLogger } from './host.ts';
import type { BrokerIdentity, DeviceNet } from './net.ts';
import type { DeviceState } from '../device/state.ts';
import type { LabelOutput } from '../device/host.ts';
import type { UpdateRecord } from '../device/updater/updater.ts';
import { shortDid, type DeviceView, type Power, type SimDeviceOptions } from './virtual-device.ts';

/** What the agent side tells the dashboard (read from the agent and its storage). */
export interface AgentFacts {
  engine: 'node' | 'xs';
  did: string;
  pairingDid: string;
  state: DeviceState;
  label: LabelOutput | undefined | null;
  manufacturer: string | null;
  firmware: DeviceView['firmware'];
  update: UpdateRecord | undefined | null;
  grinder: DeviceView['grinder'];
  lastRefusal: string | null;
  powerCutArmed: boolean;
}

export abstract class DeviceShell {
  boots = 0;
  power: Power = 'on';
  readonly images = new FaultyImageSource(httpImageSource());
  readonly logger: RingLogger;
  private grindTimer: NodeJS.Timeout | undefined;
  private grinderOn = true;
  private rebooting: Promise<void> | undefined;
  protected closed = false;

  constructor(
    readonly options: SimDeviceOptions,
    protected readonly net: DeviceNet,
  ) {
    this.logger = new RingLogger(30, options.echo);
  }

  get index(): number {
    return this.options.index;
  }

  get serial(): string {
    return this.options.serial;
  }

  get endpoint(): string {
    return this.net.endpoint;
  }

  /** Starts a new agent over the device's storage (the bootloader has run). */
  protected abstract bootAgent(): Promise<void>;
  /** The broker sign-in, once manufactured with a manufacturer contact. */
  protected abstract brokerIdentity(): Promise<BrokerIdentity | undefined>;
  /** The DIDs whose MQTT inboxes the device reads (pairing DID, the owner's pairwise DID). */
  protected abstract inboxDids(): Promise<string[]>;
  /** One grind cycle after `idleMs` of rest. */
  protected abstract grindStep(idleMs: number): Promise<void>;

  /** A power-on: the agent boots, the grinder runs. */
  protected async powerOn(): Promise<void> {
    await this.bootAgent();
    this.boots++;
    this.power = 'on';
    this.net.powered = true;
    this.startGrinder();
    for (const did of await this.inboxDids()) await this.net.addDid(did);
  }

  /** The power went off: nothing answers, the device comes back after rebootDelayMs. */
  protected poweredOff(): void {
    this.power = 'off';
    this.net.powered = false;
    this.stopGrinder();
    this.logger.log('warn', 'power cut', {});
    void this.scheduleReboot('power');
  }

  /** Reboots after rebootDelayMs; a restart asked from inside a handler waits for the messages in hand. */
  protected scheduleReboot(why: 'power' | 'restart'): Promise<void> {
    this.rebooting ??= (async () => {
      await sleep(this.options.rebootDelayMs);
      for (let waited = 0; why === 'restart' && this.net.inFlight > 0 && waited < 10_000; waited += 20) await sleep(20);
      if (this.closed) return;
      try {
        await this.powerOn();
      } catch (e) {
        this.logger.log('error', 'boot failed', { code: isSsiotError(e) ? e.code : 'simulator.boot_failed' });
      }
    })().finally(() => (this.rebooting = undefined));
    return this.rebooting;
  }

  async settled(): Promise<void> {
    while (this.rebooting) await this.rebooting;
  }

  async networkLoss(): Promise<void> {
    await this.net.networkLoss();
  }

  async networkRestore(): Promise<void> {
    await this.net.networkRestore(await this.brokerIdentity(), this.power === 'on' ? await this.inboxDids() : []);
  }

  async brokerLoss(): Promise<void> {
    await this.net.brokerLoss();
  }

  async brokerRestore(): Promise<void> {
    await this.net.brokerRestore(await this.brokerIdentity());
  }

  /** Flips bytes of the next `n` firmware image reads (each download or resumption is one). */
  corruptNextDownload(n = 1): void {
    this.images.corruptNext(n);
  }

  setGrinder(on: boolean): void {
    this.grinderOn = on;
    if (on) this.startGrinder();
    else this.stopGrinder();
  }

  async grindOnce(): Promise<void> {
    if (this.power === 'on') await this.grindStep(0);
  }

  private startGrinder(): void {
    const every = this.options.grindIntervalMs;
    if (!this.grinderOn || every <= 0 || this.grindTimer) return;
    this.grindTimer = setInterval(() => {
      if (this.power === 'on') void this.grindStep(every).catch(() => undefined);
    }, every);
    this.grindTimer.unref();
  }

  private stopGrinder(): void {
    clearInterval(this.grindTimer);
    this.grindTimer = undefined;
  }

  /** The dashboard's view from what the agent reports and what the shell knows (radio, faults, downloads). */
  protected composeView(p: AgentFacts): DeviceView {
    const s = p.state;
    const r = p.update;
    const cur = this.images.current;
    const link = this.options.labelLink ?? ((u: string) => u);
    return {
      index: this.index,
      serial: this.serial,
      did: p.did,
      pairingDid: p.pairingDid,
      endpoint: this.endpoint,
      engine: p.engine,
      power: this.power,
      boots: this.boots,
      lifecycle: s.lifecycle,
      window: s.window ? { kind: s.window.kind, expiresAt: new Date(s.window.expiresAt).toISOString(), attempts: s.window.attempts } : null,
      owner: s.owner ? { did: s.owner.did, short: shortDid(s.owner.did), since: s.owner.since } : null,
      manufacturer: p.manufacturer,
      network: this.net.network,
      broker: this.net.broker,
      firmware: p.firmware,
      update: r
        ? { phase: r.phase, sequence: r.sequence, size: r.size, offset: r.offset, received: cur && cur.uri === r.uri ? cur.offset + cur.received : r.offset, corrupted: cur?.corrupted ?? false }
        : null,
      faults: { corruptNextDownloads: this.images.corruptRemaining, corruptedDownloads: this.images.corrupted, powerCutArmed: p.powerCutArmed && this.power === 'on' },
      label: p.label && s.lifecycle !== 'factory' ? { url: p.label.url, link: link(p.label.url), manualCode: p.label.manualCode } : null,
      grinder: this.power === 'on' ? p.grinder : null,
      lastRefusal: p.lastRefusal,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopGrinder();
    await this.net.close();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
