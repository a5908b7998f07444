/**
 * A virtual grinder whose agent runs inside XS (engine `xs`): one xsnap
 * worker per device with simulator/xs-payload.ts, the agent's storage in
 * the worker's memory (wallet store with a power switch, updater store,
 * A/B slots). Node keeps the radio (net.ts: local HTTP endpoint, MQTT with
 * a broker token the worker signs) and answers the worker's host commands:
 * random bytes, the device's own sends, firmware image chunks (through the
 * same fault wrapper as the Node engine), the restart request.
 *
 * Every inbound envelope is one crank (`receive`); an answer that waits for
 * a later message (the manufacturer's answer over MQTT) is collected after
 * the cranks that deliver it. Commands to a worker are strictly serialized.
 *
 * xsnap locks the realm down (SES) at the first worker: the payload is
 * bundled before, and a process that runs XS devices cannot run vitest —
 * tests start the simulator in a process of its own.
 */
import { randomBytes } from 'node:crypto';
import { bundleScript, ROOT } from '../hosts/xs/bundle.ts';
import type { MeterUsage, XsWorker } from '../hosts/xs/worker.ts';
import type { DeviceState } from '../device/state.ts';
import type { UpdateRecord } from '../device/updater/updater.ts';
import type { LabelOutput } from '../device/host.ts';
import { base64urlEncode } from '../protocols/encoding/base64url.ts';
import { isSsiotError } from '../protocols/errors.ts';
import type { AuditEntry } from '../protocols/messages/policy.ts';
import type { DeviceDescription } from '../protocols/vc/device-credentials.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import { DeviceNet, SimulatorError, type BrokerIdentity } from './net.ts';
import { provisionDevice, type ServiceLink } from './provision.ts';
import { DeviceShell, sleep } from './shell.ts';
import type { DeviceView, SimDeviceOptions, VirtualDevice } from './virtual-device.ts';
import type { XsBootConfig } from './xs-payload.ts';

let bundled: Promise<string> | undefined;
/** The payload, bundled once per process (before the first worker locks the realm down). */
export function xsPayloadCode(): Promise<string> {
  bundled ??= bundleScript(`${ROOT}/simulator/xs-payload.ts`);
  return bundled;
}

/** What the payload's `view` answers. */
interface XsView {
  did: string;
  pairingDid: string;
  request: DeviceDescription;
  state: DeviceState;
  label: LabelOutput | null;
  lastRefusal: string | null;
  grinder: DeviceView['grinder'];
  manufacturer: string | null;
  running: DeviceView['firmware'];
  update: UpdateRecord | null;
  dead: boolean;
  log: string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class XsDevice extends DeviceShell implements VirtualDevice {
  readonly engine = 'xs' as const;
  private worker!: XsWorker;
  private queue: Promise<unknown> = Promise.resolve();
  private last!: XsView;
  private nextId = 0;
  private armed = false;
  private image: AsyncIterator<Uint8Array> | undefined;
  /** The XS meter of the last crank (compute, heap). */
  lastMeter: MeterUsage | undefined;

  private constructor(options: SimDeviceOptions, net: DeviceNet) {
    super(options, net);
  }

  static async create(o: SimDeviceOptions): Promise<XsDevice> {
    const code = await xsPayloadCode();
    const d = new XsDevice(o, await DeviceNet.listen(o.host, o.cors));
    try {
      const { spawnXsWorker } = await import('../hosts/xs/worker.ts');
      d.worker = await spawnXsWorker({ name: `sim-${o.serial}`, meteringLimit: 0, handleCommand: (req) => d.hostCommand(req) });
      await d.worker.evaluate(code);
      d.net.listen((packed) => d.receive(packed));
      const config: XsBootConfig = {
        endpoint: d.net.endpoint,
        hardware: { ...o.hardware, serial: o.serial },
        firmware: { vendorId: String(o.firmware.vendorId), classId: String(o.firmware.classId), checkpointBytes: o.firmware.checkpointBytes },
        walletKey: base64urlEncode(new Uint8Array(randomBytes(32))),
        pbkdf: o.pbkdf,
        windowMs: o.windowMs,
        slotCapacity: o.slotCapacity,
      };
      d.last = await d.call<XsView>({ op: 'boot', config });
      d.boots = 1;
      d.keepLog(d.last.log);
    } catch (e) {
      await d.close();
      throw e;
    }
    return d;
  }

  /** One command, after the ones before it; undefined when the crank ended before its answer settled. */
  private call<T>(cmd: object): Promise<T> {
    const run = async (): Promise<T> => {
      const r = await this.worker.issueCommand(enc.encode(JSON.stringify({ ...cmd, now: Date.now() })));
      this.lastMeter = r.meterUsage;
      if (r.reply.length === 0) return undefined as T;
      const value = JSON.parse(dec.decode(r.reply)) as T & { ok?: boolean; error?: string };
      if (value && value.ok === false) throw new SimulatorError('simulator.xs_failed', `XS: ${value.error}`);
      return value;
    };
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The worker's synchronous host commands. */
  private async hostCommand(req: Uint8Array): Promise<Uint8Array> {
    const cmd = JSON.parse(dec.decode(req)) as { op: string; length?: number; endpoint?: string; packed?: string; uri?: string; offset?: number; to?: string };
    switch (cmd.op) {
      case 'push':
        this.options.push?.(cmd.packed as string, cmd.to as string);
        return enc.encode('{}');
      case 'random':
        return new Uint8Array(randomBytes(cmd.length ?? 0));
      case 'send':
        try {
          return enc.encode(JSON.stringify({ reply: (await this.net.send(cmd.endpoint as string, cmd.packed as string)) ?? null }));
        } catch (e) {
          return enc.encode(JSON.stringify({ error: isSsiotError(e) ? e.code : 'didcomm.transport_failed' }));
        }
      case 'image-open':
        await this.image?.return?.();
        this.image = this.images.read(cmd.uri as string, cmd.offset ?? 0)[Symbol.asyncIterator]();
        return new Uint8Array(0);
      case 'image-next': {
        if (!this.image) return Uint8Array.of(1);
        try {
          const step = await this.image.next();
          if (step.done) return Uint8Array.of(1);
          const out = new Uint8Array(step.value.length + 1);
          out.set(step.value, 1);
          return out;
        } catch {
          return Uint8Array.of(2);
        }
      }
      case 'restart':
        void this.scheduleReboot('restart');
        return new Uint8Array(0);
      default:
        return new Uint8Array(0);
    }
  }

  private keepLog(lines: string[]): void {
    for (const l of lines) {
      const [level, ...rest] = l.split(' ');
      this.logger.log(level as 'info', rest.join(' ').replace(/ \{.*$/, ''), {});
    }
  }

  private afterCrank(r: { dead?: boolean } | undefined): void {
    if (r?.dead && this.power === 'on') {
      this.armed = false;
      this.poweredOff();
    }
  }

  /** One inbound envelope = one crank; an answer that settles later is collected. */
  private async receive(packed: string): Promise<string | undefined> {
    const id = ++this.nextId;
    let r = await this.call<{ reply?: string | null; error?: string; dead?: boolean } | undefined>({ op: 'receive', id, packed });
    for (let waited = 0; r === undefined; waited += 25) {
      if (waited > 60_000) throw new SimulatorError('simulator.xs_timeout', 'the XS device did not answer');
      await sleep(25);
      const c = await this.call<{ done: boolean; result: typeof r }>({ op: 'collect', id });
      if (c.done) r = c.result ?? {};
    }
    this.afterCrank(r);
    if (r.error !== undefined) throw new SimulatorError('simulator.xs_failed', r.error);
    return r.reply ?? undefined;
  }

  protected async bootAgent(): Promise<void> {
    this.last = await this.call<XsView>({ op: 'reboot' });
    this.keepLog(this.last.log);
  }

  protected async brokerIdentity(): Promise<BrokerIdentity | undefined> {
    if (this.power === 'off' || !this.last.manufacturer) return undefined;
    return { did: this.last.did, pairingDid: this.last.pairingDid, token: async () => (await this.call<{ token: string }>({ op: 'token' })).token };
  }

  protected async inboxDids(): Promise<string[]> {
    const owner = this.last.state.owner;
    return owner ? [this.last.pairingDid, owner.deviceDid] : [this.last.pairingDid];
  }

  protected async grindStep(idleMs: number): Promise<void> {
    this.afterCrank(await this.call<{ dead: boolean }>({ op: 'grind', idleMs }));
  }

  async provision(service: ServiceLink): Promise<void> {
    if (this.last.state.lifecycle === 'factory') {
      const p = await provisionDevice(service, this.last.request, this.last.pairingDid);
      this.last = await this.call<XsView>({ op: 'install', certificate: p.certificate, log: p.log, contact: p.contact });
    }
    const identity = await this.brokerIdentity();
    if (identity) await this.net.connectBroker(identity, service.brokerUrl);
  }

  async factoryReset(): Promise<void> {
    if (this.power === 'off') throw new SimulatorError('simulator.device_off', 'the device is off');
    this.last = await this.call<XsView>({ op: 'reset' });
  }

  powerCut(options: { afterWrites?: number } = {}): void {
    if (this.power === 'off') return;
    if (options.afterWrites === undefined) {
      this.poweredOff();
      return;
    }
    this.armed = true;
    void this.call({ op: 'cut', afterWrites: options.afterWrites });
  }

  async auditLog(): Promise<AuditEntry[]> {
    if (this.power === 'off') throw new SimulatorError('simulator.device_off', 'the device is off');
    return (await this.call<{ entries: AuditEntry[] }>({ op: 'audit' })).entries;
  }

  async statusList(): Promise<VerifiableCredential> {
    if (this.power === 'off') throw new SimulatorError('simulator.device_off', 'the device is off');
    return (await this.call<{ credential: VerifiableCredential }>({ op: 'status-list' })).credential;
  }

  async view(): Promise<DeviceView> {
    if (this.power === 'on') {
      this.last = await this.call<XsView>({ op: 'view' });
      this.keepLog(this.last.log);
    }
    const v = this.last;
    return this.composeView({
      engine: this.engine,
      did: v.did,
      pairingDid: v.pairingDid,
      state: v.state,
      label: v.label,
      manufacturer: v.manufacturer,
      firmware: v.running,
      update: v.update,
      grinder: v.grinder,
      lastRefusal: v.lastRefusal,
      powerCutArmed: this.armed,
    });
  }

  /** The worker's heap after a garbage collection (XS meter: bytes obtained from the system so far, live slots). */
  async heap(): Promise<{ allocate: number; heapCount: number }> {
    await this.call({ op: 'gc' });
    return { allocate: this.lastMeter?.allocate ?? 0, heapCount: this.lastMeter?.currentHeapCount ?? 0 };
  }

  override async close(): Promise<void> {
    await super.close();
    await this.worker?.close().catch(() => this.worker.terminate());
  }
}
