/**
 * Runs inside an xsnap worker: the device agent on an in-memory host
 * (device/testing/memory-host.ts) whose transport forwards the device's own
 * sends to Node with `issueCommand`, and whose random bytes come from Node
 * (the host-provides-random pattern). Node (hosts/xs/device-story.ts) plays
 * the phone, the factory station and the manufacturer's agent, and delivers
 * each inbound envelope as one crank, so the XS meter of a crank is the
 * device's work for exactly one message (including its own sends to the
 * manufacturer, which Node answers synchronously inside the crank).
 * Commands (JSON, one per crank):
 *   boot {slotCapacity} | install {certificate, log} | contact {did, publicDid, name}
 *   | receive {packed} | state | statusList | supportThread {id} | publish {uri, size, seed}
 *   | firmware | reboot | reset | gc
 * Host commands the device issues: random {length} | send {endpoint, packed}
 *   (reply `{reply}`) | push {packed} (the support relay's push channel to the owner).
 * Platform-neutral (XS).
 */
import { TEST_PBKDF } from '../../protocols/pake/registration.ts';
import type { LogEntry } from '../../protocols/did/webvh/types.ts';
import { DeviceAgent, type DeviceAgentOptions } from '../../device/agent.ts';
import { setManufacturerContact, type ManufacturerContact } from '../../device/manufacturer-link.ts';
import { loadSupportThread, supportFeature } from '../../device/support.ts';
import { MemoryDeviceHost, type MemoryDeviceHostOptions } from '../../device/testing/memory-host.ts';
import { makeImage, sha256Hex, TEST_FIRMWARE } from '../../device/testing/firmware.ts';
import { MemorySlots } from '../../device/updater/memory.ts';
import { loadTrustedState } from '../../device/updater/trusted-state.ts';
import { ForwardingNetwork, installHostRandom } from './host-bridge.ts';
import { askHost, serveCommands } from '../../bench/xs-handler.ts';

type Command =
  | { op: 'boot'; slotCapacity?: number }
  | { op: 'install'; certificate: unknown; log: LogEntry[] }
  | { op: 'contact'; contact: ManufacturerContact }
  | { op: 'receive'; packed: string }
  | { op: 'state' }
  | { op: 'statusList' }
  | { op: 'supportThread'; id: string }
  | { op: 'publish'; uri: string; size: number; seed: number }
  | { op: 'firmware' }
  | { op: 'reboot' }
  | { op: 'reset' }
  | { op: 'gc' };

installHostRandom();



/** The memory host with firmware slots big enough for the story's update image. */
class XsDeviceHost extends MemoryDeviceHost {
  override readonly slots: MemorySlots;
  constructor(options: MemoryDeviceHostOptions, slotCapacity: number) {
    super(options);
    this.slots = new MemorySlots({ capacity: slotCapacity });
  }
}

const options: DeviceAgentOptions = {
  hardware: { model: 'Grinder One', serial: 'SN-XS-0001', vendorId: '0xFFF1', classId: 'coffee-grinder', hardwareRevision: 'rev-B' },
  pbkdf: TEST_PBKDF,
  firmware: TEST_FIRMWARE,
  // the support relay pushes the manufacturer's answers to the owner's phone through Node
  features: [
    supportFeature({
      facts: () => ({ model: 'Grinder One', firmware: '1.4.2', counters: { cycles: 12, grams: 216 } }),
      deliverToOwner: async (packed) => void askHost({ op: 'push', packed }),
    }),
  ],
};
const network = new ForwardingNetwork();
let host: XsDeviceHost | undefined;
let agent: DeviceAgent | undefined;

function booted(): { host: XsDeviceHost; agent: DeviceAgent } {
  if (!agent || !host) throw new Error('not booted');
  return { host, agent };
}

/** What the firmware side looks like now: the restart request, image downloads so far, the last boot, the anchor's sequence, the running image. */
async function firmwareState(): Promise<unknown> {
  const { host, agent } = booted();
  const running = await host.slots.running();
  return {
    restartRequested: host.restartRequested,
    imageRequests: host.images.requests.length,
    lastBoot: agent.firmware?.lastBoot ?? null,
    installedSequence: (await loadTrustedState(host.kv)).installedSequence,
    running: { slot: running.slot, trial: running.trial, digest: running.image?.digest ?? null },
  };
}

serveCommands<Command>(
  async (cmd) => {
    switch (cmd.op) {
      case 'boot':
        host = new XsDeviceHost({ network, endpoint: 'xs://device' }, cmd.slotCapacity ?? 1 << 16);
        agent = await DeviceAgent.boot(host, options);
        return { did: agent.identity.did, pairingDid: agent.identity.pairingDid, request: agent.certificateRequest(), endpoint: host.transport.endpoint };
      case 'install':
        return { label: await booted().agent.installCertificate(cmd.certificate, cmd.log) };
      case 'contact':
        await setManufacturerContact(booted().agent.wallet, cmd.contact);
        return {};
      case 'receive': {
        if (!network.inbound) throw new Error('no inbound handler');
        const reply = await network.inbound(cmd.packed);
        return { reply: reply ?? null, refusal: booted().agent.lastRefusal?.code ?? null };
      }
      case 'state':
        return { state: booted().agent.state, refusal: booted().agent.lastRefusal?.code ?? null };
      case 'statusList':
        return { credential: await booted().agent.statusList() };
      case 'supportThread':
        return { thread: (await loadSupportThread(booted().agent.wallet, cmd.id)) ?? null };
      case 'publish': {
        // the manufacturer's image server: the image is built here, so only its digest crosses the pipe
        const image = makeImage(cmd.size, cmd.seed);
        booted().host.files.set(cmd.uri, image);
        return { digest: sha256Hex(image) };
      }
      case 'firmware':
        return firmwareState();
      case 'reboot': {
        const h = booted().host;
        h.reboot();
        agent = await DeviceAgent.boot(h, options);
        return { state: agent.state, did: agent.identity.did, firmware: await firmwareState() };
      }
      case 'reset':
        await booted().host.pressFactoryReset();
        return { state: booted().agent.state };
      case 'gc': {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (typeof gc === 'function') gc();
        return {};
      }
    }
  },
  (e) => ({ ok: false, error: String(e) + ((e as { code?: string }).code ? ` (${(e as { code?: string }).code})` : '') }),
);
