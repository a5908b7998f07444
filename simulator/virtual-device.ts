/**
 * What the fleet, the dashboard and the CLI use of a virtual device,
 * whichever engine runs its agent (device.ts on Node, xs-device.ts in XS),
 * and the options both take.
 */
import type { DeviceAgentOptions } from '../device/agent.ts';
import type { FirmwareOptions } from '../device/firmware.ts';
import type { AuditEntry } from '../protocols/messages/policy.ts';
import type { VerifiableCredential } from '../protocols/vc/credential.ts';
import type { PbkdfParams } from '../protocols/pake/registration.ts';
import type { DidcommCorsOptions } from '../protocols/didcomm/transports/cors.ts';
import type { StorageKind } from './host.ts';
import type { BrokerState } from './net.ts';
import type { ServiceLink } from './provision.ts';

export interface SimDeviceOptions {
  index: number;
  serial: string;
  /** The device's own directory (file storage). */
  dir: string;
  storage: StorageKind;
  /** Address of the local HTTP endpoint (default 127.0.0.1). */
  host?: string;
  /** CORS on the local endpoint, for a browser phone app on another origin (default none). */
  cors?: DidcommCorsOptions;
  /** Model, vendor, class, revision of the certificate request. */
  hardware: Omit<DeviceAgentOptions['hardware'], 'serial'>;
  /** SUIT vendor/class of the firmware (the service's class config). */
  firmware: Pick<FirmwareOptions, 'vendorId' | 'classId' | 'checkpointBytes'>;
  slotCapacity: number;
  /** A grind cycle every this many ms (0: the grinder stays idle). */
  grindIntervalMs: number;
  /** Power off -> on after a cut, and restart delay (ms). */
  rebootDelayMs: number;
  pbkdf?: PbkdfParams;
  windowMs?: number;
  /** The link shown on the dashboard for a label URL (e.g. the owner app's pairing page). */
  labelLink?: (labelUrl: string) => string;
  /** Echo device log lines (JSON) here. */
  echo?: (line: string) => void;
  /** The device's push channel to its owner (DeviceAgentOptions.deliverToOwner): the fleet's push relay. */
  push?: (packed: string, ownerDid: string) => void;
}

export type Power = 'on' | 'off';

/** What the dashboard shows of a device (GET /api/devices). */
export interface DeviceView {
  index: number;
  serial: string;
  did: string;
  pairingDid: string;
  endpoint: string;
  engine: 'node' | 'xs';
  power: Power;
  boots: number;
  lifecycle: string;
  window: { kind: string; expiresAt: string; attempts: number } | null;
  owner: { did: string; short: string; since: string } | null;
  manufacturer: string | null;
  network: 'up' | 'down';
  broker: BrokerState;
  firmware: { slot: string; trial: boolean; sequence: number | null; digest: string | null };
  update: { phase: string; sequence: number; size: number; offset: number; received: number; corrupted: boolean } | null;
  faults: { corruptNextDownloads: number; corruptedDownloads: number; powerCutArmed: boolean };
  label: { url: string; link: string; manualCode: string } | null;
  grinder: { cycles: number; grams: number; hopperGrams: number; motorC: number; active: string[] } | null;
  lastRefusal: string | null;
}

/** `did:peer:2.Ez6L…` -> a dashboard-sized form. */
export function shortDid(did: string): string {
  return did.length <= 28 ? did : `${did.slice(0, 18)}…${did.slice(-6)}`;
}

export interface LogLine {
  time: number;
  level: string;
  message: string;
  fields?: Record<string, string | number | boolean>;
}

export interface VirtualDevice {
  readonly index: number;
  readonly serial: string;
  readonly engine: 'node' | 'xs';
  /** The local HTTP pairing endpoint. */
  readonly endpoint: string;
  readonly boots: number;
  readonly power: Power;
  provision(service: ServiceLink): Promise<void>;
  view(): Promise<DeviceView>;
  /** The audit log, read from the device's wallet. */
  auditLog(): Promise<AuditEntry[]>;
  /** The device's signed BitstringStatusListCredential of the owner imprints it issued (what a verifier fetches). */
  statusList(): Promise<VerifiableCredential>;
  /** The device's last log lines. */
  readonly logger: { lines: LogLine[] };
  factoryReset(): Promise<void>;
  powerCut(options?: { afterWrites?: number }): void;
  networkLoss(): Promise<void>;
  networkRestore(): Promise<void>;
  brokerLoss(): Promise<void>;
  brokerRestore(): Promise<void>;
  corruptNextDownload(n?: number): void;
  /** One grind cycle now. */
  grindOnce(): Promise<void>;
  /** Switches the grinder's timer on or off. */
  setGrinder(on: boolean): void;
  /** Resolves when no reboot is pending. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export type { ServiceLink };
