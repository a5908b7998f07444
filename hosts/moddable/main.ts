/**
 * Firmware entry (the manifest's main): installs the globals, builds the
 * Moddable host from the platform's modules, boots the same device agent
 * the Node simulator runs, runs the factory step against the manufacturer
 * service when the device is new, then keeps the broker connection.
 */
import './globals.ts';
import { Digest } from 'moddable:crypt';
import rawConfig from 'moddable:mc/config';
import Net from 'moddable:net';
import qrCode from 'moddable:qrcode';
import { fill as fillRandom } from 'ssiot/random';
import Time from 'moddable:time';
import Timer from 'moddable:timer';
import { clientIdFor } from '../../protocols/didcomm/transports/mqtt-topics.ts';
import { bytesToHex, utf8Decode, utf8Encode } from '../../protocols/encoding/bytes.ts';
import { isSsiotError } from '../../protocols/errors.ts';
import type { CryptoOverrides } from '../../protocols/crypto/types.ts';
import type { LogEntry } from '../../protocols/did/webvh/types.ts';
import type { Logger } from '../../device/host.ts';
import type { FirmwareSlots } from '../../device/updater/host.ts';
import { DeviceAgent } from '../../device/agent.ts';
import { manufacturerContact, type ManufacturerContact } from '../../device/manufacturer-link.ts';
import { openSlots, powerOn, restart, restartsInProcess } from './boot-slots.ts';
import { watchResetButton } from './button.ts';
import { readConfig, type FirmwareConfig } from './config.ts';
import { moddableCrypto } from './crypto.ts';
import { curve25519 } from './curve25519.ts';
import { drawQr } from './display.ts';
import { heapFigures } from './heap.ts';
import { ModdableDeviceHost } from './host.ts';
import { StorageKv, type BufferStorage } from './kv.ts';
import { qrText } from './label.ts';
import { ModdableLink } from './link.ts';
import { lineLogger, tracePrint } from './logger.ts';
import { httpImages, httpPost, httpPostJson, keepBrokerConnection, startLocalServer } from './net.ts';
import { openStores } from './stores.ts';

const WALLET_KEY = 'walletkey';
const SERIAL_KEY = 'serial';

/**
 * The serial when the settings give none: the Wi-Fi MAC address, or (the
 * simulators have none) a random one made on the first boot and kept, so
 * each simulated device registers under its own serial.
 */
function defaultSerial(store: BufferStorage, randomBytes: (n: number) => Uint8Array): string {
  const mac = (Net.get('MAC') ?? '').replace(/:/g, '').toUpperCase();
  if (mac) return 'SN-' + mac;
  const kept = store.read(SERIAL_KEY);
  if (kept instanceof ArrayBuffer) return utf8Decode(new Uint8Array(kept));
  const serial = 'SN-SIM-' + bytesToHex(randomBytes(6)).toUpperCase();
  store.write(SERIAL_KEY, utf8Encode(serial).slice().buffer as ArrayBuffer);
  return serial;
}

const codeOf = (e: unknown): string => (isSsiotError(e) ? e.code : e instanceof Error ? e.message : String(e));

async function main(): Promise<void> {
  const print = tracePrint();
  const crypto = moddableCrypto({ digest: (type) => new Digest(type), fillRandom, curve25519 });
  const randomBytes = (n: number): Uint8Array => crypto.randomBytes!(n);
  const stores = openStores();
  const cfg = readConfig(rawConfig, defaultSerial(stores.updater, randomBytes));
  const logger = lineLogger(print, cfg.logLevel);
  const reportHeap = (phase: string): void => {
    if (!cfg.reportHeap) return;
    const figures = heapFigures();
    logger.log('info', 'heap', figures ? { phase, ...figures } : { phase, unavailable: 'build with -d or -i for instrumentation' });
  };
  reportHeap('loaded');
  const kv = new StorageKv(stores.updater);
  const slots = await openSlots(kv);
  powerOn(slots);
  let running: Running | undefined;
  let booting = false;
  // Hardware restarts the chip into the new slot. A simulator process cannot,
  // so it boots the agent again in process over the same slots: the trial
  // boot, the confirmation and the report then happen as on hardware.
  const reboot = (): void => {
    if (booting) return;
    booting = true;
    running?.close();
    running = undefined;
    Timer.set(() => {
      powerOn(slots);
      boot({ cfg, stores, kv, slots, crypto, randomBytes, logger, print, reportHeap, reboot })
        .then((r) => (running = r), (e: unknown) => logger.log('error', 'reboot failed', { code: codeOf(e) }))
        .finally(() => (booting = false));
    }, 0);
  };
  if (cfg.resetPin >= 0) watchResetButton({ pin: cfg.resetPin, holdMs: cfg.resetHoldMs, onLongPress: () => running?.factoryReset() });
  running = await boot({ cfg, stores, kv, slots, crypto, randomBytes, logger, print, reportHeap, reboot });
}

interface Platform {
  cfg: FirmwareConfig;
  stores: ReturnType<typeof openStores>;
  kv: StorageKv;
  slots: FirmwareSlots;
  crypto: CryptoOverrides;
  randomBytes(n: number): Uint8Array;
  logger: Logger;
  print(text: string): void;
  reportHeap(phase: string): void;
  /** Restart into the new firmware where the platform cannot restart itself (the simulators). */
  reboot(): void;
}

/** What one boot leaves running; close() stops it before an in-process reboot. */
interface Running {
  close(): void;
  factoryReset(): void;
}

/** One boot of the device agent: host, agent, local endpoint, factory step, broker. */
async function boot(p: Platform): Promise<Running> {
  const { cfg, stores, kv, crypto, randomBytes, logger, print, reportHeap } = p;
  const localHost = cfg.localHost || Net.get('IP') || '127.0.0.1';
  const endpoint = `http://${localHost}:${cfg.localPort}${cfg.localPath}`;
  const link = new ModdableLink(endpoint, httpPost);
  const host = new ModdableDeviceHost({
    walletStore: stores.wallet,
    kv,
    keyStore: {
      read() {
        const v = stores.updater.read(WALLET_KEY);
        return v instanceof ArrayBuffer ? new Uint8Array(v) : undefined;
      },
      write: (key) => stores.updater.write(WALLET_KEY, key.slice().buffer as ArrayBuffer),
    },
    crypto,
    randomBytes,
    slots: p.slots,
    images: httpImages,
    transport: link,
    logger,
    timer: { set: (cb, ms) => Timer.set(() => cb(), ms), clear: (t) => Timer.clear(t as ReturnType<typeof Timer.set>) },
    ticks: () => Time.ticks,
    restart: restartsInProcess ? p.reboot : restart,
    render(label) {
      const qr = qrCode({ input: label.url });
      drawQr(qr);
      print(`\nPairing label (scan, or enter ${label.manualCode}):\n${qrText({ size: qr.size, cells: new Uint8Array(qr) })}\n${label.url}\n`);
    },
  });

  const agent = await DeviceAgent.boot(host, {
    hardware: cfg.hardware,
    pbkdf: cfg.pbkdf,
    firmware: { vendorId: cfg.suitVendorId, classId: cfg.suitClassId },
  });
  link.addDid(agent.identity.pairingDid);
  const server = startLocalServer({ port: cfg.localPort, path: cfg.localPath, handle: (packed) => link.receiveHttp(packed), logger, cors: cfg.cors });
  let broker: { close(): void } | undefined;
  const running: Running = {
    close() {
      server.close();
      broker?.close();
      link.detachMqtt();
    },
    factoryReset: () => host.factoryReset(),
  };
  logger.log('info', 'local endpoint', { endpoint });
  reportHeap('boot');

  if (agent.state.lifecycle === 'factory' && cfg.factoryUrl) {
    const res = await httpPostJson(
      cfg.factoryUrl.replace(/\/$/, '') + '/api/provisioning/devices',
      { device: agent.certificateRequest(), pairingDid: agent.identity.pairingDid },
      [['authorization', `Bearer ${cfg.factoryToken}`]],
    );
    const body = (res.body ?? {}) as { certificate?: unknown; log?: LogEntry[]; contact?: ManufacturerContact; error?: { code?: string } };
    if (res.status !== 201 || !body.log) throw new Error(`provisioning answered HTTP ${res.status} ${body.error?.code ?? ''}`);
    await agent.installCertificate(body.certificate, body.log, body.contact ? { contact: body.contact } : {});
    logger.log('info', 'manufactured', { did: agent.identity.did });
    reportHeap('manufactured');
  } else if (agent.state.lifecycle === 'factory') {
    // say so: a silent factory-new device is how a missing setting looked before
    logger.log('warn', 'factory-new device without factoryUrl: not provisioning (build with factoryUrl=… factoryToken=…)');
  }

  if (cfg.brokerUrl && (await manufacturerContact(agent.wallet))) {
    let connectedOnce = false;
    broker = keepBrokerConnection({
      url: cfg.brokerUrl,
      clientId: clientIdFor(agent.identity.did),
      username: agent.identity.did,
      password: () => agent.brokerToken(),
      onConnected(port) {
        link.attachMqtt(port);
        logger.log('info', 'broker connected', { url: cfg.brokerUrl });
        // the reports the boot could not send (the broker comes up after the agent boots: after an update, the
        // installed/reverted report) go out now rather than at the next boot
        agent.firmware?.updater.flushReports().then(
          (sent) => sent > 0 && logger.log('info', 'firmware reports sent', { count: sent }),
          (e: unknown) => logger.log('warn', 'firmware reports not sent', { code: codeOf(e) }),
        );
        if (!connectedOnce) reportHeap('broker');
        connectedOnce = true;
      },
      onDisconnected: () => link.detachMqtt(),
      onMessage: (_topic, payload) => {
        link.receiveMqtt(payload).catch((e: unknown) => logger.log('warn', 'inbox message failed', { code: codeOf(e) }));
      },
      logger,
    });
  } else if (!cfg.brokerUrl) {
    logger.log('warn', 'no brokerUrl: the manufacturer is reachable only through the local endpoint');
  }
  return running;
}

main().catch((e: unknown) => tracePrint()(`{"level":"error","message":"firmware stopped","code":${JSON.stringify(codeOf(e))}}\n`));
