/**
 * The factory station of the simulator: POST /api/provisioning/devices on
 * the manufacturer service with the factory token, which answers what
 * DeviceAgent.installCertificate takes (certificate, DID log, contact).
 */
import type { ManufacturerContact } from '../device/manufacturer-link.ts';
import type { LogEntry } from '../protocols/did/webvh/types.ts';
import type { DeviceDescription } from '../protocols/vc/device-credentials.ts';
import { SimulatorError } from './net.ts';

/** Where the factory station and the broker are: the manufacturer service. */
export interface ServiceLink {
  /** Base URL of the service. */
  url: string;
  factoryToken: string;
  /** The broker devices connect to (the provisioning answer does not name it). */
  brokerUrl: string;
}

export interface Provisioned {
  certificate: unknown;
  log: LogEntry[];
  contact?: ManufacturerContact;
}

export async function provisionDevice(service: ServiceLink, device: DeviceDescription, pairingDid: string): Promise<Provisioned> {
  let res: Response;
  try {
    res = await fetch(new URL('/api/provisioning/devices', service.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${service.factoryToken}` },
      body: JSON.stringify({ device, pairingDid }),
    });
  } catch (e) {
    throw new SimulatorError('simulator.provisioning_failed', 'the manufacturer service is unreachable', { cause: e });
  }
  const body = (await res.json().catch(() => ({}))) as Partial<Provisioned> & { error?: { code?: string } };
  if (res.status !== 201 || !Array.isArray(body.log)) {
    throw new SimulatorError('simulator.provisioning_failed', `provisioning answered HTTP ${res.status}${body.error?.code ? ` (${body.error.code})` : ''}`);
  }
  return { certificate: body.certificate, log: body.log, contact: body.contact };
}
