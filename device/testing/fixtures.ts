/**
 * Test fixtures for the device story (neutral: used by device tests in Node
 * and XS): a manufacturer with a did:webvh log and its factory station, a
 * manufactured device on an in-memory host, an owner agent on the same
 * in-memory network.
 */
import { multikeyOfSigner, createWebvh, webvhSigner } from '../../protocols/did/webvh/create.ts';
import type { LogEntry, WebvhState } from '../../protocols/did/webvh/types.ts';
import { createDefaultResolver } from '../../protocols/did/resolver.ts';
import { ed25519Signer, type Signer } from '../../protocols/vc/signer.ts';
import { TEST_PBKDF } from '../../protocols/pake/registration.ts';
import { issueDeviceCertificate } from '../../manufacturer/factory-station.ts';
import { OwnerAgent } from '../../owner/agent.ts';
import { DeviceAgent, type DeviceAgentOptions } from '../agent.ts';
import type { LabelOutput } from '../host.ts';
import { MemoryDeviceHost, MemoryNetwork } from './memory-host.ts';

export const T0 = Date.UTC(2026, 0, 1);

export interface TestManufacturer {
  did: string;
  log: LogEntry[];
  state: WebvhState;
  signer: Signer;
}

/** A manufacturer did:webvh (one entry, one Ed25519 key) and a VC signer for its assertion key. */
export async function testManufacturer(seedByte = 1): Promise<TestManufacturer> {
  const seed = new Uint8Array(32).fill(seedByte);
  const update = webvhSigner(seed);
  const created = await createWebvh({ domain: 'grinders.example', updateKeys: update, versionTime: '2025-12-01T00:00:00Z', now: T0 });
  const mk = multikeyOfSigner(update);
  return { did: created.did, log: created.log, state: created.state, signer: ed25519Signer(`${created.did}#${mk}`, seed) };
}

export function hardware(serial = 'SN-0001'): DeviceAgentOptions['hardware'] {
  return { model: 'Grinder One', serial, vendorId: '0xFFF1', classId: 'coffee-grinder', hardwareRevision: 'rev-B' };
}

export function agentOptions(serial?: string): DeviceAgentOptions {
  return { hardware: hardware(serial), pbkdf: TEST_PBKDF };
}

export interface TestDevice {
  host: MemoryDeviceHost;
  agent: DeviceAgent;
  label: LabelOutput;
  /** Reboots: a new agent over the same storage (power restored). */
  reboot(): Promise<DeviceAgent>;
}

/** Boots a fresh device and runs the factory station on it. */
export async function manufacturedDevice(network: MemoryNetwork, mfr: TestManufacturer, serial = 'SN-0001', options: Partial<DeviceAgentOptions> = {}): Promise<TestDevice> {
  const host = new MemoryDeviceHost({ network, endpoint: `memory://${serial}`, now: T0 });
  const agent = await DeviceAgent.boot(host, { ...agentOptions(serial), ...options });
  const certificate = await issueDeviceCertificate(agent.certificateRequest(), { signer: mfr.signer, log: mfr.log, now: new Date(T0) });
  const label = await agent.installCertificate(certificate, mfr.log);
  const device: TestDevice = {
    host,
    agent,
    label,
    async reboot() {
      host.reboot();
      device.agent = await DeviceAgent.boot(host, { ...agentOptions(serial), ...options });
      return device.agent;
    },
  };
  return device;
}

/** An owner agent on `network` trusting `mfr`, with the device's clock. */
export function testOwner(network: MemoryNetwork, mfr: TestManufacturer, now: () => number): OwnerAgent {
  return new OwnerAgent({
    transport: { send: (endpoint, packed) => network.deliver(endpoint, packed) },
    resolver: createDefaultResolver({ documents: [mfr.state.document] }),
    trustedManufacturers: [mfr.did],
    now,
  });
}

/** What a verifier trusting only `mfr` uses to check an imprint chain of `dev` (status list fetched from the device). */
export function verifierFor(mfr: TestManufacturer, dev: TestDevice) {
  return {
    resolver: createDefaultResolver({ documents: [mfr.state.document] }),
    manufacturerDid: mfr.did,
    now: new Date(dev.host.now()),
    checkStatus: { fetchStatusList: () => dev.agent.statusList() },
  };
}
