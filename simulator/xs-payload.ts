/**
 * Runs inside one xsnap worker per simulated device (engine `xs`): the
 * device agent on an in-memory host (device/testing/memory-host.ts: wallet
 * store with a power switch, updater store, A/B slots), everything else
 * asked of Node with the synchronous `issueCommand` (xs-device.ts answers):
 *   random {length}                  the host's random source
 *   send {endpoint, packed}          -> {reply?} | {error}: the device's own sends (HTTP or MQTT, Node's DeviceLink)
 *   image-open {uri, offset} / image-next -> [0, bytes…] data | [1] end | [2] error: firmware images (Node fetches with Range)
 *   restart                          the updater's restart request (Node reboots the worker's agent after the crank)
 * Commands from Node (JSON, one per crank; every one carries `now`, the wall clock in ms, which also
 * drives the host's timers and monotonic clock):
 *   boot {config} | install {certificate, log, contact} | receive {id, packed} | collect {id}
 *   | view | audit | token | reset | cut {afterWrites?} | reboot | grind {idleMs} | gc
 * `receive` replies when the agent's answer settles within the crank; an answer that waits for a
 * later message (the manufacturer's answer over MQTT) is kept and fetched with `collect`.
 * Platform-neutral (XS).
 */
import { base64urlDecode } from '../protocols/encoding/base64url.ts';
import type { LogEntry } from '../protocols/did/webvh/types.ts';
import type { PbkdfParams } from '../protocols/pake/registration.ts';
import { DeviceAgent, type DeviceAgentOptions } from '../device/agent.ts';
import type { LabelOutput } from '../device/host.ts';
import { loadPairing } from '../device/manufacture.ts';
import { manufacturerContact, type ManufacturerContact } from '../device/manufacturer-link.ts';
import { AUDIT_RECORD } from '../device/policy.ts';
import { loadGrinder, saveGrinder } from '../device/telemetry.ts';
import { MemoryDeviceHost, type MemoryDeviceHostOptions } from '../device/testing/memory-host.ts';
import type { ImageSource } from '../device/updater/host.ts';
import { MemorySlots } from '../device/updater/memory.ts';
import { UPDATE_RECORD_KEY } from '../device/updater/updater.ts';
import { ForwardingNetwork, installHostRandom } from '../hosts/xs/host-bridge.ts';
import { askHost, serveCommands } from '../bench/xs-handler.ts';
import { grindCycle, grinderView } from './grind.ts';

export interface XsBootConfig {
  endpoint: string;
  hardware: DeviceAgentOptions['hardware'];
  firmware: { vendorId: string; classId: string; checkpointBytes?: number };
  /** base64url, 32 bytes (the eFuse key). */
  walletKey: string;
  pbkdf?: PbkdfParams;
  windowMs?: number;
  slotCapacity: number;
}

type Command = { now: number } & (
  | { op: 'boot'; config: XsBootConfig }
  | { op: 'install'; certificate: unknown; log: LogEntry[]; contact?: ManufacturerContact }
  | { op: 'receive'; id: number; packed: string }
  | { op: 'collect'; id: number }
  | { op: 'view' }
  | { op: 'audit' }
  | { op: 'status-list' }
  | { op: 'token' }
  | { op: 'reset' }
  | { op: 'cut'; afterWrites?: number }
  | { op: 'reboot' }
  | { op: 'grind'; idleMs: number }
  | { op: 'gc' }
);

installHostRandom();



/** Firmware images read through Node (one host command per chunk). */
const nodeImages: ImageSource = {
  read(uri: string, offset: number): AsyncIterable<Uint8Array> {
    return {
      async *[Symbol.asyncIterator]() {
        askHost({ op: 'image-open', uri, offset });
        for (;;) {
          const r = askHost({ op: 'image-next' });
          if (r.length === 0 || r[0] === 1) return;
          if (r[0] === 2) throw new Error('image download failed');
          yield r.slice(1);
        }
      },
    };
  },
};

class XsSimHost extends MemoryDeviceHost {
  override readonly slots: MemorySlots;
  override readonly images = nodeImages as MemoryDeviceHost['images'];
  label: LabelOutput | undefined;
  constructor(options: MemoryDeviceHostOptions, slotCapacity: number) {
    super(options);
    this.slots = new MemorySlots({ capacity: slotCapacity });
  }
  override restart(): void {
    askHost({ op: 'restart' });
  }
  override showLabel(label: LabelOutput): void {
    this.label = label;
  }
}

const network = new ForwardingNetwork();
let config: XsBootConfig | undefined;
let host: XsSimHost | undefined;
let agent: DeviceAgent | undefined;
/** Answers that settled after their crank, by receive id (bounded). */
const late = new Map<number, unknown>();

function booted(): { host: XsSimHost; agent: DeviceAgent } {
  if (!agent || !host) throw new Error('not booted');
  return { host, agent };
}

function options(): DeviceAgentOptions {
  const c = config as XsBootConfig;
  return {
    hardware: c.hardware,
    pbkdf: c.pbkdf,
    windowMs: c.windowMs,
    firmware: c.firmware,
    // the owner push channel is Node's (the fleet's relay)
    deliverToOwner: async (packed, ownerDid) => void askHost({ op: 'push', packed, to: ownerDid }),
  };
}

const dead = () => host?.walletStore.isDead ?? false;

async function view(): Promise<unknown> {
  const { host, agent } = booted();
  const on = !dead();
  const running = await host.slots.running();
  const record = await host.kv.get(UPDATE_RECORD_KEY);
  const s = agent.state;
  const grinder = on && s.lifecycle !== 'factory' ? grinderView((await loadGrinder(agent.wallet)).state) : null;
  const contact = on ? await manufacturerContact(agent.wallet) : undefined;
  if (!host.label && on && s.lifecycle !== 'factory') host.label = (await loadPairing(agent.wallet))?.label;
  return {
    did: agent.identity.did,
    pairingDid: agent.identity.pairingDid,
    request: agent.certificateRequest(),
    state: s,
    label: host.label ?? null,
    lastRefusal: agent.lastRefusal?.code ?? null,
    grinder,
    manufacturer: contact?.publicDid ?? null,
    running: { slot: running.slot, trial: running.trial, sequence: running.image?.sequence ?? null, digest: running.image?.digest ?? null },
    update: record ? JSON.parse(record) : null,
    dead: dead(),
    writes: host.walletStore.writes,
    log: host.logger.lines.splice(0),
  };
}

serveCommands<Command>(
  async (cmd) => {
    if (host && cmd.now > host.now()) host.advance(cmd.now - host.now());
    switch (cmd.op) {
      case 'boot':
        config = cmd.config;
        host = new XsSimHost({ network, endpoint: cmd.config.endpoint, now: cmd.now, walletKey: base64urlDecode(cmd.config.walletKey) }, cmd.config.slotCapacity);
        agent = await DeviceAgent.boot(host, options());
        return view();
      case 'install':
        await booted().agent.installCertificate(cmd.certificate, cmd.log, { contact: cmd.contact });
        return view();
      case 'receive': {
        if (!network.inbound) throw new Error('no inbound handler');
        const id = cmd.id;
        const answer = network.inbound(cmd.packed).then(
          (reply) => ({ reply: reply ?? null, dead: dead() }),
          (e: unknown) => ({ error: String((e as { code?: string }).code ?? e), dead: dead() }),
        );
        void answer.then((r) => {
          late.set(id, r);
          if (late.size > 64) late.delete(late.keys().next().value as number);
        });
        return answer;
      }
      case 'collect': {
        const r = late.get(cmd.id);
        late.delete(cmd.id);
        return { done: r !== undefined, result: r ?? null };
      }
      case 'view':
        return view();
      case 'audit': {
        const items = await booted().agent.wallet.search(AUDIT_RECORD);
        return { entries: items.map((i) => JSON.parse(i.value) as { seq: number }).sort((a, b) => a.seq - b.seq) };
      }
      case 'status-list':
        return { credential: await booted().agent.statusList() };
      case 'token':
        return { token: await booted().agent.brokerToken() };
      case 'reset':
        await booted().host.pressFactoryReset();
        return view();
      case 'cut':
        booted().host.walletStore.cutAfter(cmd.afterWrites ?? 0);
        return { armed: true };
      case 'reboot': {
        const h = booted().host;
        h.reboot();
        agent = await DeviceAgent.boot(h, options());
        return view();
      }
      case 'gc': {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (typeof gc === 'function') gc();
        return {};
      }
      case 'grind': {
        const a = booted().agent;
        if (a.state.lifecycle !== 'factory') await saveGrinder(a.wallet, grindCycle((await loadGrinder(a.wallet)).state, cmd.idleMs), booted().host.now());
        return { dead: dead() };
      }
    }
  },
  (e) => ({ ok: false, error: String(e) + ((e as { code?: string }).code ? ` (${(e as { code?: string }).code})` : '') }),
);
