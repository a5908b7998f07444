/**
 * Test fixtures for introduction, proof of ownership and support (neutral:
 * Node and XS): a manufacturer agent on the in-memory network, a device
 * booted with the introduce and support features and the manufacturer's
 * contact installed, and its owner, paired.
 */
import { createDefaultResolver } from '../../protocols/did/resolver.ts';
import { issueDeviceCertificate } from '../../manufacturer/factory-station.ts';
import { ManufacturerAgent, type ManufacturerAgentOptions } from '../../manufacturer/agent.ts';
import type { OwnerAgent, PairedDevice } from '../../owner/agent.ts';
import { DeviceAgent, type DeviceAgentOptions } from '../agent.ts';
import { supportFeature, type DeviceFacts } from '../support.ts';
import { agentOptions, T0, testManufacturer, testOwner, type TestDevice, type TestManufacturer } from './fixtures.ts';
import { MemoryDeviceHost, MemoryNetwork } from './memory-host.ts';

export const MANUFACTURER_ENDPOINT = 'memory://manufacturer';

export interface ConduitWorld {
  network: MemoryNetwork;
  mfr: TestManufacturer;
  maker: ManufacturerAgent;
  dev: TestDevice;
  owner: OwnerAgent;
  paired: PairedDevice;
  /** Envelopes the device pushed to its owner (deliverToOwner), in order. */
  pushed: string[];
  /** What the grinder reports about itself. */
  facts: DeviceFacts;
}

/** Everything in place: manufacturer agent, device (features on, contact installed), paired owner. */
/** `deviceOptions` are merged into the device's agent options (e.g. `firmware`). */
export async function conduitWorld(makerOptions: Partial<ManufacturerAgentOptions> = {}, seedByte = 1, deviceOptions: Partial<DeviceAgentOptions> = {}): Promise<ConduitWorld> {
  const network = new MemoryNetwork();
  const mfr = await testManufacturer(seedByte);
  const host = new MemoryDeviceHost({ network, endpoint: 'memory://SN-0001', now: T0 });
  const maker = new ManufacturerAgent({
    endpoint: MANUFACTURER_ENDPOINT,
    send: (endpoint, packed) => network.deliver(endpoint, packed),
    resolver: createDefaultResolver({ documents: [mfr.state.document] }),
    manufacturerDid: mfr.did,
    now: () => host.now(),
    ...makerOptions,
  });
  network.transport(MANUFACTURER_ENDPOINT).listen((packed) => maker.receive(packed));
  const pushed: string[] = [];
  const facts: DeviceFacts = { model: 'Grinder One', firmware: '1.4.2', counters: { cycles: 12, grams: 216 } };
  const options: DeviceAgentOptions = {
    ...agentOptions(),
    features: [supportFeature({ facts: () => facts, deliverToOwner: async (p) => void pushed.push(p) })],
    ...deviceOptions,
  };
  const agent = await DeviceAgent.boot(host, options);
  const certificate = await issueDeviceCertificate(agent.certificateRequest(), { signer: mfr.signer, log: mfr.log, now: new Date(T0) });
  const label = await agent.installCertificate(certificate, mfr.log, { contact: { did: maker.did, publicDid: mfr.did, name: 'Grinders Inc.' } });
  const dev: TestDevice = {
    host,
    agent,
    label,
    async reboot() {
      host.reboot();
      dev.agent = await DeviceAgent.boot(host, options);
      return dev.agent;
    },
  };
  const owner = testOwner(network, mfr, () => host.now());
  const paired = await owner.pair(label.url);
  return { network, mfr, maker, dev, owner, paired, pushed, facts };
}
