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
import type { LogEntry } from '../../protocols/did/webvh/types.ts';
import { DeviceAgent } from '../../device/agent.ts';
import { manufacturerContact, type ManufacturerContact } from '../../device/manufacturer-link.ts';
import { openSlots, restart } from './boot-slots.ts';
import { watchResetButton } from './button.ts';
import { readConfig } from './config.ts';
import { moddableCrypto } from './crypto.ts';
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
  const crypto = moddableCrypto({ digest: (type) => new Digest(type), fillRandom });
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
  const localHost = cfg.localHost || Net.get('IP') || '127.0.0.1';
  const endpoint = `http://${localHost}:${cfg.localPort}${cfg.localPath}`;
  const kv = new StorageKv(stores.updater);
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
    slots: await openSlots(kv),
    images: httpImages,
    transport: link,
    logger,
    timer: { set: (cb, ms) => Timer.set(() => cb(), ms), clear: (t) => Timer.clear(t as ReturnType<typeof Timer.set>) },
    ticks: () => Time.ticks,
    restart,
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
  startLocalServer({ port: cfg.localPort, path: cfg.localPath, handle: (p) => link.receiveHttp(p), logger, cors: cfg.cors });
  logger.log('info', 'local endpoint', { endpoint });
  if (cfg.resetPin >= 0) watchResetButton({ pin: cfg.resetPin, holdMs: cfg.resetHoldMs, onLongPress: () => host.factoryReset() });
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
    keepBrokerConnection({
      url: cfg.brokerUrl,
      clientId: clientIdFor(agent.identity.did),
      username: agent.identity.did,
      password: () => agent.brokerToken(),
      onConnected(port) {
        link.attachMqtt(port);
        logger.log('info', 'broker connected', { url: cfg.brokerUrl });
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
}

main().catch((e: unknown) => tracePrint()(`{"level":"error","message":"firmware stopped","code":${JSON.stringify(codeOf(e))}}\n`));
