/**
 * A fleet of virtual coffee grinders (device.ts; xs-device.ts for
 * `engine: 'xs'`), provisioned by the manufacturer service's factory route
 * and signed in to its broker, with the dashboard (dashboard.ts) on top.
 *
 *   const fleet = await startFleet({ service: { url, factoryToken, brokerUrl }, count: 5, dataDir });
 *   fleet.devices[0].view(); fleet.devices[0].powerCut(); fleet.dashboardUrl; await fleet.close();
 *
 * Without `service` the devices boot unmanufactured (lifecycle `factory`)
 * and `fleet.provision(service)` runs the factory station later.
 * Storage (host.ts): `file` keeps each device in <dataDir>/devices/<serial>/
 * (a fleet started again on the same dataDir finds its devices, owners and
 * firmware again); `memory` holds everything in the process (big fleets,
 * the bench). Default: file up to 100 devices, memory above.
 */
import { PushOutbox } from './pushes.ts';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DidcommCorsOptions } from '../protocols/didcomm/transports/cors.ts';
import { TEST_PBKDF, type PbkdfParams } from '../protocols/pake/registration.ts';
import { GRINDER_CLASS, type DeviceClassConfig } from '../manufacturer/service/config.ts';
import { startDashboard, type Dashboard } from './dashboard.ts';
import { SimDevice } from './device.ts';
import type { ServiceLink } from './provision.ts';
import type { StorageKind } from './host.ts';
import type { VirtualDevice } from './virtual-device.ts';

export type Engine = 'node' | 'xs';

export interface FleetOptions {
  /** The manufacturer service; omit to provision later with `fleet.provision(service)`. */
  service?: ServiceLink;
  /** Devices (default 5). */
  count?: number;
  /** Where the device agents run: Node, or one xsnap worker per device (xs-device.ts). */
  engine?: Engine;
  dataDir: string;
  /** Listen address of the devices' local endpoints and of the dashboard (default 127.0.0.1). */
  host?: string;
  /** CORS on the devices' local endpoints, for the owner's phone app in a browser on another origin. */
  cors?: DidcommCorsOptions;
  storage?: StorageKind;
  /** Serial numbers are `<prefix><0001…>` (default SN-SIM-). */
  serialPrefix?: string;
  /** A grind cycle per device every this many ms (default 5000; 0 = idle grinders). */
  grindIntervalMs?: number;
  /** Power-on delay after a cut or a restart request (default 300 ms). */
  rebootDelayMs?: number;
  /** Bytes per firmware slot (default 1 MiB). */
  slotCapacity?: number;
  /** Devices created / provisioned at once (default 8). */
  concurrency?: number;
  /** The device class (certificate classId and SUIT ids; default the story's grinder). */
  deviceClass?: DeviceClassConfig;
  /** Setup-code verifier cost (default TEST_PBKDF: a simulated fleet of thousands pairs in seconds, not minutes). */
  pbkdf?: PbkdfParams;
  /** The label link shown for a label URL (default: the label URL itself). */
  labelLink?: (labelUrl: string) => string;
  /** Dashboard: false = none; else its port (default 0 = any free port). */
  dashboard?: false | { port?: number };
  /** Device log lines (JSON) go here too. */
  echo?: (line: string) => void;
}

export interface Fleet {
  readonly devices: VirtualDevice[];
  /** What the devices pushed to their owners (the dashboard serves it to the owner app). */
  readonly pushes: PushOutbox;
  readonly engine: Engine;
  /** The dashboard's base URL (when started). */
  readonly dashboardUrl: string | undefined;
  /** Runs the factory station on every device not yet manufactured, then connects all to the broker. */
  provision(service: ServiceLink): Promise<void>;
  device(index: number): VirtualDevice;
  close(): Promise<void>;
}

/** Runs `fn` over `items` with at most `limit` at a time, in order of start. */
export async function inBatches<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const count = o.count ?? 5;
  const engine = o.engine ?? 'node';
  const storage = o.storage ?? (count > 100 ? 'memory' : 'file');
  const cls = o.deviceClass ?? GRINDER_CLASS;
  const prefix = o.serialPrefix ?? 'SN-SIM-';
  mkdirSync(o.dataDir, { recursive: true });
  const pushes = new PushOutbox();
  const common = {
    storage,
    host: o.host,
    cors: o.cors,
    hardware: { model: 'Grinder One', vendorId: '0xFFF1', classId: cls.name, hardwareRevision: 'rev-B' },
    firmware: { vendorId: cls.vendorId, classId: cls.classId, checkpointBytes: 16 * 1024 },
    slotCapacity: o.slotCapacity ?? 1 << 20,
    grindIntervalMs: o.grindIntervalMs ?? 5000,
    rebootDelayMs: o.rebootDelayMs ?? 300,
    pbkdf: o.pbkdf ?? TEST_PBKDF,
    labelLink: o.labelLink,
    echo: o.echo,
    push: (packed: string, ownerDid: string) => void pushes.add(ownerDid, packed),
  };
  const indexes = Array.from({ length: count }, (_, i) => i);
  const devices: VirtualDevice[] = [];
  const closeAll = async () => {
    await inBatches(devices, 16, (d) => d.close().catch(() => undefined));
  };
  try {
    const made = await inBatches(indexes, o.concurrency ?? 8, async (index) => {
      const serial = `${prefix}${String(index + 1).padStart(4, '0')}`;
      const dir = join(o.dataDir, 'devices', serial);
      const d: VirtualDevice =
        engine === 'xs' ? await (await import('./xs-device.ts')).XsDevice.create({ ...common, index, serial, dir }) : await SimDevice.create({ ...common, index, serial, dir });
      devices[index] = d;
      return d;
    });
    devices.splice(0, devices.length, ...made);
    const provision = async (service: ServiceLink) => {
      await inBatches(devices, o.concurrency ?? 8, (d) => d.provision(service));
    };
    if (o.service) await provision(o.service);
    let dashboard: Dashboard | undefined;
    const fleet: Fleet = {
      devices,
      engine,
      pushes,
      get dashboardUrl() {
        return dashboard?.url;
      },
      provision,
      device(index: number) {
        const d = devices[index];
        if (!d) throw new RangeError(`no device ${index}`);
        return d;
      },
      async close() {
        await dashboard?.close();
        await closeAll();
      },
    };
    if (o.dashboard !== false) dashboard = await startDashboard(fleet, { host: o.host, port: o.dashboard?.port });
    return fleet;
  } catch (e) {
    await closeAll();
    throw e;
  }
}
