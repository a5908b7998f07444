/**
 * Runs inside an xsnap worker: the device agent on an in-memory host
 * (device/testing/memory-host.ts) whose transport forwards the device's own
 * sends to Node with `issueCommand`, and whose random bytes come from Node
 * (the host-provides-random pattern). Node (hosts/xs/device-story.ts) plays
 * the phone and the factory station and delivers each inbound envelope as
 * one crank, so the XS meter of a crank is the device's work for exactly
 * one message. Commands (JSON, one per crank):
 *   boot | install {certificate, log} | receive {packed} | state | statusList
 *   | reboot | reset | gc | updatePrepare {size} | update
 * Platform-neutral (XS).
 */
import { installCrypto } from '../../protocols/crypto/index.ts';
import { TEST_PBKDF } from '../../protocols/pake/registration.ts';
import type { LogEntry } from '../../protocols/did/webvh/types.ts';
import { DeviceAgent, type DeviceAgentOptions } from '../../device/agent.ts';
import type { DeviceTransport, InboundHandler } from '../../device/host.ts';
import { MemoryDeviceHost, MemoryNetwork } from '../../device/testing/memory-host.ts';
import { makeImage, Manufacturer, sha256Hex, SimulatedDevice } from '../../device/updater/testbed.ts';
import { askHost, serveCommands } from '../../bench/xs-handler.ts';

type Command =
  | { op: 'boot' }
  | { op: 'install'; certificate: unknown; log: LogEntry[] }
  | { op: 'receive'; packed: string }
  | { op: 'state' }
  | { op: 'statusList' }
  | { op: 'reboot' }
  | { op: 'reset' }
  | { op: 'gc' }
  | { op: 'updatePrepare'; size: number }
  | { op: 'update' };

installCrypto({
  randomBytes(length: number) {
    const r = askHost({ op: 'random', length });
    if (r.length !== length) throw new Error('short random');
    return r;
  },
});

const decoder = new TextDecoder();

/** The device's network: inbound comes from Node as `receive` commands, outbound goes to Node. */
class ForwardingNetwork extends MemoryNetwork {
  inbound: InboundHandler | undefined;
  override transport(endpoint: string): DeviceTransport {
    return {
      endpoint,
      send: async (to, packed) => {
        const r = JSON.parse(decoder.decode(askHost({ op: 'send', endpoint: to, packed }))) as { reply?: string | null };
        return r.reply ?? undefined;
      },
      listen: (handler) => void (this.inbound = handler),
    };
  }
}

const options: DeviceAgentOptions = {
  hardware: { model: 'Grinder One', serial: 'SN-XS-0001', vendorId: '0xFFF1', classId: 'coffee-grinder', hardwareRevision: 'rev-B' },
  pbkdf: TEST_PBKDF,
};
const network = new ForwardingNetwork();
const host = new MemoryDeviceHost({ network, endpoint: 'xs://device' });
let agent: DeviceAgent | undefined;

function booted(): DeviceAgent {
  if (!agent) throw new Error('not booted');
  return agent;
}

/** The update prepared by `updatePrepare` (manufacturer, updater testbed device, published release). */
let prepared: { m: Manufacturer; d: SimulatedDevice; r: Awaited<ReturnType<Manufacturer['release']>> } | undefined;

/** Prepares a firmware update of a `size`-byte image on the updater testbed (release signed, image published). */
async function prepareUpdate(size: number): Promise<unknown> {
  const m = await Manufacturer.create();
  const d = await SimulatedDevice.manufacture(m, { installedSequence: 1, capacity: size + 4096, chunkSize: 4096 });
  const r = await m.release({ sequence: 2, image: makeImage(size, 2) });
  d.publish(r);
  prepared = { m, d, r };
  return {};
}

/** The update itself: announcement, download + verification, trial boot, self-test, confirm. */
async function update(): Promise<unknown> {
  if (!prepared) throw new Error('no update prepared');
  const { m, d, r } = prepared;
  const out = await d.updater.handleAnnouncement(m.announce(r, m.log.length));
  const boot = await d.restart();
  return { out, boot, installed: d.runningDigest() === sha256Hex(r.image) };
}

serveCommands<Command>(
  async (cmd) => {
    switch (cmd.op) {
      case 'boot':
        agent = await DeviceAgent.boot(host, options);
        return { did: agent.identity.did, pairingDid: agent.identity.pairingDid, request: agent.certificateRequest(), endpoint: host.transport.endpoint };
      case 'install':
        return { label: await booted().installCertificate(cmd.certificate, cmd.log) };
      case 'receive': {
        if (!network.inbound) throw new Error('no inbound handler');
        const reply = await network.inbound(cmd.packed);
        return { reply: reply ?? null, refusal: booted().lastRefusal?.code ?? null };
      }
      case 'state':
        return { state: booted().state };
      case 'statusList':
        return { credential: await booted().statusList() };
      case 'reboot':
        host.reboot();
        agent = await DeviceAgent.boot(host, options);
        return { state: agent.state, did: agent.identity.did };
      case 'reset':
        await host.pressFactoryReset();
        return { state: booted().state };
      case 'gc': {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (typeof gc === 'function') gc();
        return {};
      }
      case 'updatePrepare':
        return prepareUpdate(cmd.size);
      case 'update':
        return update();
    }
  },
  (e) => ({ ok: false, error: String(e) + ((e as { code?: string }).code ? ` (${(e as { code?: string }).code})` : '') }),
);
