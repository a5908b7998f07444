/**
 * The Moddable firmware without hardware and without the SDK:
 *  - manifest.json (and the manifests it includes from hosts/moddable/manifests)
 *    is well-formed for mcconfig: every module source we name exists, the
 *    module lists match the firmware's import graph (hosts/moddable/modules.ts),
 *    the platforms are there, the ESP32 partition table has two equal OTA slots;
 *  - the host logic that does not touch Moddable modules runs against fakes:
 *    native digest + RNG overrides, the stores, the OTA slot bookkeeping,
 *    the DIDComm link, the label, the settings.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nobleCrypto } from '../protocols/crypto/noble.ts';
import { base64urlEncode } from '../protocols/encoding/base64url.ts';
import { utf8Encode } from '../protocols/encoding/bytes.ts';
import { inboxTopic } from '../protocols/didcomm/transports/mqtt-topics.ts';
import { KeyValueStorage } from '../protocols/wallet/kv.ts';
import { MemoryKv } from '../device/updater/memory.ts';
import { readConfig } from '../hosts/moddable/config.ts';
import { moddableCrypto, type NativeDigest } from '../hosts/moddable/crypto.ts';
import { envelopeParties } from '../protocols/didcomm/transports/envelope-parties.ts';
import { ModdableDeviceHost } from '../hosts/moddable/host.ts';
import { MAX_KEY_LENGTH, preferenceStore, StorageKv, storageKey, type BufferStorage, type PreferenceApi } from '../hosts/moddable/kv.ts';
import { qrText } from '../hosts/moddable/label.ts';
import { ModdableLink, type MqttPort } from '../hosts/moddable/link.ts';
import { FAMILY_MANIFESTS, manifestModules, NOT_PRELOADED, ON_DEMAND, PRELOAD_FIRST, sourcesFor } from '../hosts/moddable/modules.ts';
import { EspOtaSlots, SLOT_RECORD_KEY, type OtaPlatform } from '../hosts/moddable/slots.ts';
import { parseHostPort } from '../hosts/moddable/url.ts';
import { expectCode, expectCodeAsync } from './support/assert.ts';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..');

interface Manifest {
  build?: Record<string, string>;
  include?: string | string[];
  config?: Record<string, unknown>;
  creation?: { main?: string };
  modules?: Record<string, string | string[]>;
  preload?: string[];
  platforms?: Record<string, Manifest & { error?: string }>;
  typescript?: { tsconfig?: { compilerOptions?: Record<string, unknown> } };
}

const readManifest = (path: string): Manifest => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Manifest;
const includes = (m: Manifest): string[] => (m.include === undefined ? [] : Array.isArray(m.include) ? m.include : [m.include]);

/** A module source as mcconfig would find it, or undefined for SDK paths ($(MODDABLE), $(MODULES)). */
function ourPath(source: string, manifestDir: string): string | undefined {
  if (source.startsWith('$(SSIOT)/')) return join(ROOT, source.slice('$(SSIOT)/'.length));
  if (source.startsWith('./') || source.startsWith('../')) return join(ROOT, manifestDir, source);
  if (/^\$\((MODDABLE|MODULES|BUILD|COMMODETTO)\)\//.test(source)) return undefined;
  throw new Error(`unexpected module source ${source}`);
}

/** mcconfig takes any file of the base name when the source has no extension. */
function sourceExists(path: string): boolean {
  if (/\.(ts|js|mjs|c)$/.test(path)) return existsSync(path);
  return ['.ts', '.js', '.c'].some((ext) => existsSync(path + ext));
}

/** Every manifest of ours reachable from manifest.json, with its directory. */
function ourManifests(): { path: string; manifest: Manifest }[] {
  const seen = new Map<string, Manifest>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    const manifest = readManifest(path);
    seen.set(path, manifest);
    const dir = dirname(path);
    const subs = [manifest, ...Object.values(manifest.platforms ?? {})];
    for (const m of subs)
      for (const inc of includes(m)) {
        if (inc.startsWith('$(')) continue;
        visit(join(dir, inc));
      }
  };
  visit('manifest.json');
  return [...seen].map(([path, manifest]) => ({ path, manifest }));
}

describe('manifest.json for mcconfig', () => {
  const root = readManifest('manifest.json');

  it('has the ESP32, board and desktop simulator platforms, and refuses the others', () => {
    const platforms = root.platforms ?? {};
    for (const p of ['esp32', 'mac', 'lin', 'win']) expect(platforms[p]).toBeDefined();
    expect(Object.keys(platforms).filter((p) => p.startsWith('esp32/')).length).toBeGreaterThanOrEqual(4);
    expect(platforms['...']?.error).toMatch(/esp32/);
    for (const [name, section] of Object.entries(platforms)) {
      if (name === '...') continue;
      for (const inc of includes(section)) expect(existsSync(join(ROOT, inc))).toBe(true);
    }
  });

  it('leaves per-platform settings to the platform manifests (the root config would override what they include)', () => {
    // mcconfig merges included manifests first and the including one last, so a
    // root default such as factoryUrl "" silently replaced the simulators'
    // http://127.0.0.1:8080 and a factory-new simulated device never provisioned.
    const rootKeys = new Set(Object.keys(root.config ?? {}));
    const perPlatform = ourManifests()
      .filter(({ path }) => path !== 'manifest.json')
      .flatMap(({ path, manifest }) => Object.keys(manifest.config ?? {}).map((key) => `${path}: ${key}`));
    expect(perPlatform.length).toBeGreaterThan(0);
    expect(perPlatform.filter((entry) => rootKeys.has(entry.split(': ')[1]!))).toEqual([]);
  });

  it('names a main module that is in the module list, and compiles TypeScript with the SDK (emit only, .ts imports rewritten)', () => {
    expect(root.creation?.main).toBe('hosts/moddable/main');
    expect(root.modules?.['hosts/moddable/main']).toBe('./hosts/moddable/main.ts');
    const options = root.typescript?.tsconfig?.compilerOptions ?? {};
    expect(options.rewriteRelativeImportExtensions).toBe(true);
    expect(options.noCheck).toBe(true);
  });

  it('points every module, include and build path of ours at a file that exists', () => {
    const manifests = ourManifests();
    expect(manifests.length).toBeGreaterThanOrEqual(6);
    let checked = 0;
    for (const { path, manifest } of manifests) {
      const dir = dirname(path);
      for (const m of [manifest, ...Object.values(manifest.platforms ?? {})]) {
        for (const [name, value] of Object.entries(m.modules ?? {})) {
          for (const source of Array.isArray(value) ? value : [value]) {
            const p = ourPath(source, dir);
            if (p === undefined) continue;
            if (!sourceExists(p)) throw new Error(`${path}: module ${name} → ${source} does not exist`);
            checked++;
          }
        }
        for (const value of Object.values(m.build ?? {})) {
          if (value.startsWith('$(SSIOT)/')) expect(existsSync(ourPath(value, dir)!)).toBe(true);
        }
      }
    }
    expect(checked).toBeGreaterThan(150);
  });

  it('lists exactly the modules of the firmware import graph, per platform family (run hosts/moddable/modules.ts --write after changing imports)', async () => {
    const computed = await manifestModules();
    expect(root.modules).toMatchObject(computed.common);
    for (const name of Object.keys(root.modules ?? {})) if (name !== '*' && !name.startsWith('ssiot/')) expect(computed.common[name]).toBeDefined();
    for (const [family, path] of Object.entries(FAMILY_MANIFESTS)) {
      const m = readManifest(path);
      expect(m.modules).toMatchObject(sourcesFor(path, computed.families[family as keyof typeof FAMILY_MANIFESTS]));
    }
    // no test file, no Node-only module, no vitest made it into the firmware
    for (const source of Object.values(computed.common)) expect(source).not.toMatch(/\.test\.ts$|hosts\/node\/|vitest/);
    // platform modules: ESP32 gets the OTA slots, the simulators the in-memory ones, lin the preference store
    expect(readManifest(FAMILY_MANIFESTS.esp32).modules?.['hosts/moddable/boot-slots']).toBe('$(SSIOT)/hosts/moddable/boot-slots.ts');
    expect(readManifest(FAMILY_MANIFESTS.lin).modules?.['hosts/moddable/boot-slots']).toBe('$(SSIOT)/hosts/moddable/boot-slots-sim.ts');
    expect(readManifest(FAMILY_MANIFESTS.lin).modules?.['hosts/moddable/stores']).toBe('$(SSIOT)/hosts/moddable/stores-preference.ts');
  });

  it('preloads the text codec globals first', () => {
    expect(root.preload?.[0]).toBe('hosts/moddable/globals');
  });

  it('preloads the firmware graph except main, the stores and what the lazy noble seam loads on first use', async () => {
    const computed = await manifestModules();
    expect(root.preload).toEqual(computed.preload.common);
    for (const [family, path] of Object.entries(FAMILY_MANIFESTS)) {
      const own = computed.preload.families[family as keyof typeof FAMILY_MANIFESTS];
      const preload = readManifest(path).preload ?? [];
      expect(preload.slice(preload.length - own.length)).toEqual(own);
      // merged before manifest.json by mcconfig: its own modules must not load before the globals
      if (own.length > 0) expect(own[0]).toBe(PRELOAD_FIRST);
    }
    const preloaded = new Set(root.preload);
    expect(preloaded.size).toBeGreaterThan(100);
    for (const name of NOT_PRELOADED) expect(preloaded.has(name)).toBe(false);
    // the seam is the lazy stand-in, preloaded; the stateful noble modules behind it are in the archive but not preloaded
    expect(root.modules?.['protocols/crypto/noble-stateful']).toBe('./' + ON_DEMAND['protocols/crypto/noble-stateful.ts']);
    expect(preloaded.has('protocols/crypto/noble-stateful')).toBe(true);
    for (const name of ['@noble/hashes/sha2', '@noble/hashes/hkdf', '@noble/ciphers/aes', '@noble/ciphers/_polyval', '@noble/curves/ed25519', '@noble/curves/nist', '@noble/curves/secp256k1', '@noble/curves/abstract/curve']) {
      expect(root.modules?.[name]).toBeDefined();
      expect(preloaded.has(name)).toBe(false);
    }
    // Modules.importNow needs the SDK's `modules`
    expect(includes(readManifest('hosts/moddable/manifests/common.json'))).toContain('$(MODDABLE)/modules/base/modules/manifest.json');
  });

  it('imports the stateful noble modules only through the seam the firmware loads lazily', () => {
    const seam = readFileSync(join(ROOT, 'protocols/crypto/noble-stateful.ts'), 'utf8');
    const lazy = readFileSync(join(ROOT, 'hosts/moddable/noble-lazy.ts'), 'utf8');
    const exported = (src: string, re: RegExp) => [...src.matchAll(re)].flatMap((m) => m[1]!.split(',').map((s) => s.trim())).sort();
    // the stand-in exports exactly what the seam re-exports
    expect(exported(lazy, /^export const (\w+)/gm)).toEqual(exported(seam, /^export \{ ([^}]+) \}/gm));
    const stateful = [...seam.matchAll(/from '([^']+)\.js'/g)].map((m) => m[1]!);
    expect(stateful.length).toBeGreaterThanOrEqual(9);
    for (const name of stateful) expect(lazy).toContain(`'${name}'`);
  });
});

describe('ESP32 partition table', () => {
  const esp32 = readManifest(FAMILY_MANIFESTS.esp32);
  const csvPath = esp32.build?.PARTITIONS_FILE ?? '';
  const rows = readFileSync(ourPath(csvPath, '.')!, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').map((c) => c.trim()));
  const parts = rows.map(([name, type, subtype, offset, size, flags]) => ({ name, type, subtype, offset: Number(offset), size: Number(size), flags }));

  it('parses: name, type, subtype, hex offset and size on every line', () => {
    expect(parts.length).toBeGreaterThanOrEqual(5);
    for (const p of parts) {
      expect(p.name).toMatch(/^[a-z_0-9]{1,16}$/);
      expect(['app', 'data']).toContain(p.type);
      expect(Number.isInteger(p.offset) && p.offset > 0).toBe(true);
      expect(Number.isInteger(p.size) && p.size > 0).toBe(true);
    }
  });

  it('has two equal OTA app slots, otadata and NVS, aligned, not overlapping, within 4 MB', () => {
    const byName = new Map(parts.map((p) => [p.name, p]));
    const a = byName.get('ota_0')!;
    const b = byName.get('ota_1')!;
    expect(a.type).toBe('app');
    expect(b.subtype).toBe('ota_1');
    expect(a.size).toBe(b.size);
    expect(a.size).toBeGreaterThanOrEqual(0x180000);
    expect(byName.get('otadata')?.subtype).toBe('ota');
    expect(byName.get('otadata')?.size).toBe(0x2000);
    expect(byName.get('nvs')?.subtype).toBe('nvs');
    expect(parts.some((p) => p.subtype === 'factory')).toBe(false); // mcconfig would split a factory partition itself
    for (const p of parts) expect(p.offset % (p.type === 'app' ? 0x10000 : 0x1000)).toBe(0);
    const sorted = [...parts].sort((x, y) => x.offset - y.offset);
    expect(sorted[0].offset).toBeGreaterThanOrEqual(0x9000); // after the bootloader and the table
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].offset).toBeGreaterThanOrEqual(sorted[i - 1].offset + sorted[i - 1].size);
    const last = sorted[sorted.length - 1];
    expect(last.offset + last.size).toBeLessThanOrEqual(0x400000);
  });

  it('turns on the bootloader rollback the trial boot relies on', () => {
    const sdk = readFileSync(join(ourPath(esp32.build?.SDKCONFIGPATH ?? '', '.')!, 'sdkconfig.defaults'), 'utf8');
    expect(sdk).toMatch(/^CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y$/m);
  });
});

// ------------------------------------------------------------------ host logic against fakes

/** Moddable's crypt Digest, played by node:crypto. */
function fakeDigest(type: 'SHA256' | 'SHA512'): NativeDigest & { writes: number } {
  const h = createHash(type === 'SHA256' ? 'sha256' : 'sha512');
  const d = {
    writes: 0,
    write(m: ArrayBuffer) {
      if (!(m instanceof ArrayBuffer)) throw new TypeError('Digest.write takes an ArrayBuffer');
      d.writes++;
      h.update(new Uint8Array(m));
    },
    close: () => {
      const out = h.digest();
      return out.buffer.slice(out.byteOffset, out.byteOffset + out.length) as ArrayBuffer;
    },
  };
  return d;
}

describe('moddableCrypto (native Digest, hardware RNG)', () => {
  const fills: number[] = [];
  const c = moddableCrypto({ digest: fakeDigest, fillRandom: (b) => (fills.push(b.byteLength), randomFillSync(new Uint8Array(b))) });

  it('hashes like the noble provider, one-shot and streamed over subarrays', () => {
    const data = utf8Encode('the grinder grinds '.repeat(50));
    expect(c.sha256!(data)).toEqual(nobleCrypto.sha256(data));
    expect(c.sha512!(data)).toEqual(nobleCrypto.sha512(data));
    const h = c.createHash!('sha256');
    h.update(data.subarray(0, 7)).update(data.subarray(7, 7)).update(data.subarray(7));
    expect(h.digest()).toEqual(nobleCrypto.sha256(data));
    expect(c.sha256!(new Uint8Array(0))).toEqual(nobleCrypto.sha256(new Uint8Array(0)));
  });

  it('refuses use after digest, unknown hashes and non-bytes with the facade codes', () => {
    const h = c.createHash!('sha512');
    h.digest();
    expectCode(() => h.digest(), 'crypto.hash_finalized');
    expectCode(() => c.createHash!('md5' as 'sha256'), 'crypto.unsupported_algorithm');
    expectCode(() => c.sha256!('abc' as unknown as Uint8Array), 'crypto.invalid_input');
  });

  it('takes random bytes from the platform source', () => {
    fills.length = 0;
    const r = c.randomBytes!(32);
    expect(r).toHaveLength(32);
    expect(fills).toEqual([32]);
    expect(c.randomBytes!(0)).toHaveLength(0);
    expectCode(() => c.randomBytes!(-1), 'crypto.invalid_length');
  });
});

function memoryBufferStorage(): BufferStorage & { map: Map<string, ArrayBuffer>; deletes: string[] } {
  const map = new Map<string, ArrayBuffer>();
  const deletes: string[] = [];
  return {
    map,
    deletes,
    read: (k) => map.get(k),
    write(k, v) {
      if (k.length > MAX_KEY_LENGTH) throw new RangeError('NVS key too long');
      map.set(k, v.slice(0));
    },
    delete(k) {
      if (!map.has(k)) throw new Error('ESP_ERR_NVS_NOT_FOUND');
      deletes.push(k);
      map.delete(k);
    },
  };
}

describe('the updater store over a key-value domain', () => {
  it('keeps keys that fit NVS and hashes the longer ones to 15 characters', async () => {
    expect(storageKey('slots')).toBe('slots');
    const long = storageKey('firmware/trusted');
    expect(long).toHaveLength(MAX_KEY_LENGTH);
    expect(long.startsWith('~')).toBe(true);
    expect(storageKey('firmware/update')).toBe('firmware/update'); // exactly 15
    expect(storageKey('~x')).not.toBe('~x'); // the hashed namespace is never taken by a plain key
    const storage = memoryBufferStorage();
    const kv = new StorageKv(storage);
    await kv.set('firmware/trusted', '{"sequence":7,"ü":"✓"}');
    expect(await kv.get('firmware/trusted')).toBe('{"sequence":7,"ü":"✓"}');
    expect([...storage.map.keys()]).toEqual([long]);
    await kv.delete('firmware/trusted');
    await kv.delete('firmware/trusted'); // absent: no error although NVS would report one
    expect(await kv.get('firmware/trusted')).toBeUndefined();
    expect(storage.deletes).toEqual([long]);
  });

  it('refuses a domain opened with another format', async () => {
    const kv = new StorageKv({ read: () => 'text', write: () => undefined, delete: () => undefined });
    await expect(kv.get('slots')).rejects.toThrow(/format "buffer"/);
  });
});

function fakePreferences(): PreferenceApi & { data: Map<string, Map<string, unknown>> } {
  const data = new Map<string, Map<string, unknown>>();
  const domain = (d: string) => data.get(d) ?? data.set(d, new Map()).get(d)!;
  return {
    data,
    set: (d, k, v) => void domain(d).set(k, v),
    get: (d, k) => domain(d).get(k) as ArrayBuffer | undefined,
    delete: (d, k) => void domain(d).delete(k),
    keys: (d) => [...domain(d).keys()],
  };
}

describe('the simulators’ key-value store over `preference`', () => {
  it('carries the wallet storage (protocols/wallet/kv.ts) in its own domain', async () => {
    const prefs = fakePreferences();
    const store = preferenceStore(prefs, 'ssiot-wallet');
    const wallet = await KeyValueStorage.open(store);
    const item = { type: utf8Encode('t'), id: utf8Encode('1'), value: utf8Encode('v'), tags: [] };
    await wallet.addItems([item, { ...item, id: utf8Encode('2') }]);
    expect(await wallet.countItems()).toBe(2);
    expect((await wallet.getItem(item.type, item.id))?.value).toEqual(item.value);
    expect(prefs.keys('ssiot-fw')).toEqual([]);
    expect(() => store.write('a-key-longer-than-15', new ArrayBuffer(1))).toThrow(RangeError);
    expect(() => store.write('k', 'text')).toThrow(TypeError);
  });
});

/** An ESP32 as the OTA bookkeeping sees it: two partitions, a boot choice, the PENDING_VERIFY flag. */
class FakeEsp implements OtaPlatform {
  readonly capacity = 4096;
  running: 'a' | 'b' = 'a';
  boot: 'a' | 'b' = 'a';
  pending = false;
  /** Slots ESP-IDF counts as VALID (a new image is not, until it marks itself valid). */
  readonly validSlots = new Set<'a' | 'b'>(['a']);
  valid = 0;
  readonly flash = { a: new Uint8Array(4096).fill(0xff), b: new Uint8Array(4096).fill(0xff) };
  readonly log: string[] = [];
  private get other(): 'a' | 'b' {
    return this.running === 'a' ? 'b' : 'a';
  }
  runningSlot() {
    return this.running;
  }
  pendingVerify() {
    return this.pending;
  }
  beginUpdate() {
    const slot = this.other;
    this.flash[slot].fill(0xff);
    this.log.push(`erase ${slot}`);
    return {
      write: (bytes: ArrayBuffer, offset: number) => this.flash[slot].set(new Uint8Array(bytes), offset),
      complete: () => {
        this.log.push(`complete ${slot}`);
        this.boot = slot;
      },
      close: () => this.log.push('close'),
    };
  }
  inactivePartition() {
    const slot = this.other;
    return {
      read: (n: number, offset: number) => this.flash[slot].slice(offset, offset + n).buffer,
      write: (bytes: ArrayBuffer, offset: number) => this.flash[slot].set(new Uint8Array(bytes), offset),
    };
  }
  setBootInactive() {
    this.log.push(`boot ${this.other}`);
    this.boot = this.other;
  }
  markValid() {
    this.valid++;
    this.validSlots.add(this.running);
  }
  /** Power cycle: the bootloader starts the chosen slot (PENDING_VERIFY when its image is new). */
  restart() {
    this.running = this.boot;
    this.pending = !this.validSlots.has(this.running);
  }
}

describe('EspOtaSlots (ESP-IDF OTA partitions behind FirmwareSlots)', () => {
  const info = { sequence: 2, digest: 'ab'.repeat(32), size: 5 };

  it('writes the inactive slot through embedded:update, boots it on trial, confirms it', async () => {
    const esp = new FakeEsp();
    const kv = new MemoryKv();
    let slots = await EspOtaSlots.open(esp, kv);
    expect(await slots.running()).toEqual({ slot: 'a', trial: false });
    const w = await slots.openInactive({ erase: true });
    expect(w.slot).toBe('b');
    await w.write(0, utf8Encode('hello'));
    expect(await w.read(1, 3)).toEqual(utf8Encode('ell'));
    await expect(w.write(4095, utf8Encode('xy'))).rejects.toThrow(RangeError);
    await expect(slots.setBootSlot('b')).rejects.toThrow(/no finalized image/);
    await w.finalize(info);
    await slots.setBootSlot('b');
    expect(esp.log).toEqual(['erase b', 'complete b']);
    esp.restart();
    slots = await EspOtaSlots.open(esp, kv);
    expect(await slots.running()).toEqual({ slot: 'b', trial: true, image: info });
    await expectCodeAsync(() => slots.openInactive({ erase: true }), 'host.slot_state');
    await slots.confirm();
    expect(esp.valid).toBe(1);
    esp.pending = false;
    expect(await slots.running()).toEqual({ slot: 'b', trial: false, image: info });
  });

  it('reverts a trial image to the confirmed slot and keeps the way back until the restart', async () => {
    const esp = new FakeEsp();
    const kv = new MemoryKv();
    const slots = await EspOtaSlots.open(esp, kv);
    const w = await slots.openInactive({ erase: true });
    await w.write(0, utf8Encode('new'));
    await w.finalize(info);
    await slots.setBootSlot('b');
    esp.restart();
    const trial = await EspOtaSlots.open(esp, kv);
    await trial.revert();
    expect(esp.boot).toBe('a');
    await expectCodeAsync(() => trial.openInactive({ erase: true }), 'host.slot_state');
    await expectCodeAsync(() => trial.confirm(), 'host.slot_state');
    esp.restart();
    const back = await EspOtaSlots.open(esp, kv);
    expect(await back.running()).toEqual({ slot: 'a', trial: false });
    expect(JSON.parse((await kv.get(SLOT_RECORD_KEY))!)).toEqual({ images: { b: info } });
  });

  it('resumes an interrupted write through the flash partition, without erasing it', async () => {
    const esp = new FakeEsp();
    const kv = new MemoryKv();
    const first = await EspOtaSlots.open(esp, kv);
    await (await first.openInactive({ erase: true })).write(0, utf8Encode('he'));
    // power cut: a new boot resumes
    const slots = await EspOtaSlots.open(esp, kv);
    const w = await slots.openInactive({ erase: false });
    expect(await w.read(0, 2)).toEqual(utf8Encode('he'));
    await w.write(2, utf8Encode('llo'));
    await w.finalize(info);
    await slots.setBootSlot('b');
    expect(esp.log).toEqual(['erase b', 'boot b']);
    expect(esp.flash.b.subarray(0, 5)).toEqual(utf8Encode('hello'));
  });
});

/** A JWE-shaped envelope with the cleartext headers the link routes by. */
function envelope(from: string | undefined, to: string[]): string {
  const header = from ? { skid: `${from}#key-1`, alg: 'ECDH-1PU+A256KW' } : { alg: 'ECDH-ES+A256KW' };
  return JSON.stringify({ protected: base64urlEncode(utf8Encode(JSON.stringify(header))), recipients: to.map((d) => ({ header: { kid: `${d}#key-2` } })), ciphertext: 'x' });
}

describe('ModdableLink (local HTTP + MQTT inboxes)', () => {
  const device = 'did:peer:2.device';
  const phone = 'did:peer:2.phone';

  it('answers a POST with the agent’s reply and then listens on the inbox of the DID it answered from', async () => {
    const posts: string[] = [];
    const link = new ModdableLink('http://10.0.0.7:80/didcomm', async (url) => (posts.push(url), undefined));
    link.listen(async (packed) => (envelopeParties(packed).sender === phone ? envelope(device, [phone]) : undefined));
    expect(await link.receiveHttp(envelope(phone, [device]))).toBe(envelope(device, [phone]));
    const subscribed: string[] = [];
    const published: [string, string][] = [];
    const port: MqttPort = { subscribe: (t) => subscribed.push(t), publish: (t, p) => published.push([t, p]) };
    link.attachMqtt(port);
    expect(subscribed).toEqual([inboxTopic(device)]);
    await link.receiveMqtt(envelope(phone, [device]));
    expect(published).toEqual([[inboxTopic(phone), envelope(device, [phone])]]);
    await link.receiveMqtt(envelope(undefined, [device])); // no reply: nothing published
    expect(published).toHaveLength(1);
    expect(await link.send('https://phone.example/didcomm', envelope(device, [phone]))).toBeUndefined();
    expect(posts).toEqual(['https://phone.example/didcomm']);
  });

  it('publishes to the recipients’ inboxes over MQTT and refuses when there is no connection', async () => {
    const link = new ModdableLink('http://10.0.0.7:80/didcomm', async () => undefined);
    await expectCodeAsync(() => link.send('mqtt://broker:1883', envelope(device, ['did:peer:2.mfr'])), 'didcomm.transport_failed');
    const published: string[] = [];
    link.attachMqtt({ subscribe: () => undefined, publish: (t) => published.push(t) });
    await link.send('mqtt://broker:1883', envelope(device, ['did:peer:2.mfr', 'did:peer:2.other']));
    expect(published).toEqual([inboxTopic('did:peer:2.mfr'), inboxTopic('did:peer:2.other')]);
    link.detachMqtt();
    expect(link.mqttAttached).toBe(false);
  });

  it('reads no parties from input that is not a JWE', () => {
    expect(envelopeParties('not json')).toEqual({ recipients: [] });
    expect(envelopeParties('{"protected":"!!"}')).toEqual({ recipients: [] });
  });
});

describe('label, settings, URLs and the host object', () => {
  it('renders a QR matrix as half blocks with the quiet zone', () => {
    const size = 3;
    const cells = Uint8Array.from([1, 0, 1, 0, 1, 0, 1, 1, 1]);
    const lines = qrText({ size, cells }).split('\n');
    expect(lines).toHaveLength(Math.ceil((size + 8) / 2));
    for (const l of lines) expect(l).toHaveLength(size + 8);
    expect(lines[2].slice(4, 7)).toBe('\u2580\u2584\u2580'); // rows 0+1 of the matrix: 1/0, 0/1, 1/0
    expect(lines[3].slice(4, 7)).toBe('\u2580\u2580\u2580'); // row 2 over the quiet zone
    expect(() => qrText({ size: 4, cells })).toThrow(RangeError);
  });

  it('reads the settings with defaults, takes command-line strings and names a bad setting', () => {
    const c = readConfig({ localPort: '8090', resetPin: '-1', pbkdfN: 1024 }, 'SN-A1B2');
    expect(c.localPort).toBe(8090);
    expect(c.resetPin).toBe(-1);
    expect(c.hardware).toEqual({ model: 'Grinder One', serial: 'SN-A1B2', vendorId: '0xFFF1', classId: 'coffee-grinder', hardwareRevision: 'esp32' });
    expect(c.pbkdf).toEqual({ alg: 'scrypt', N: 1024, r: 1, p: 1 });
    expect(() => readConfig({ localPort: 'eighty' }, 'x')).toThrow(/config\.localPort/);
    expect(() => readConfig({ logLevel: 'loud' }, 'x')).toThrow(/config\.logLevel/);
    expectCode(() => readConfig({ pbkdfN: 1000 }, 'x'), 'pake.invalid_params'); // not a power of two
  });

  it('reads the reportHeap switch from JSON or the command line', () => {
    expect(readConfig({}, 'x').reportHeap).toBe(false);
    for (const on of [true, 1, '1', 'true']) expect(readConfig({ reportHeap: on }, 'x').reportHeap).toBe(true);
    for (const off of [false, 0, '0', 'false', '']) expect(readConfig({ reportHeap: off }, 'x').reportHeap).toBe(false);
    expect(() => readConfig({ reportHeap: 'yes' }, 'x')).toThrow(/config\.reportHeap/);
  });

  it('reads corsOrigins for a browser phone app: none by default, * or a list of origins', () => {
    expect(readConfig({}, 'x').cors).toBeUndefined();
    expect(readConfig({ corsOrigins: '*' }, 'x').cors).toEqual({ origins: '*' });
    expect(readConfig({ corsOrigins: 'http://127.0.0.1:41801,http://phone.local' }, 'x').cors).toEqual({ origins: ['http://127.0.0.1:41801', 'http://phone.local'] });
    expect(() => readConfig({ corsOrigins: 1 }, 'x')).toThrow(/config\.corsOrigins/);
  });

  it('parses the http and mqtt URLs the clients take and refuses TLS', () => {
    expect(parseHostPort('http://127.0.0.1:8080/api?x=1')).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8080, path: '/api?x=1' });
    expect(parseHostPort('mqtt://broker.local')).toEqual({ scheme: 'mqtt', host: 'broker.local', port: 1883, path: '/' });
    expectCode(() => parseHostPort('https://example.com/'), 'didcomm.unsupported_endpoint');
    expectCode(() => parseHostPort('http://h:70000/'), 'didcomm.unsupported_endpoint');
  });

  it('makes the wallet key once from the RNG and reads it back afterwards', () => {
    let stored: Uint8Array | undefined;
    let draws = 0;
    const host = new ModdableDeviceHost({
      walletStore: preferenceStore(fakePreferences(), 'w'),
      kv: new MemoryKv(),
      keyStore: { read: () => stored, write: (k) => (stored = k.slice()) },
      crypto: {},
      randomBytes: (n) => (draws++, new Uint8Array(n).fill(7)),
      slots: undefined as never,
      transport: new ModdableLink('http://x/', async () => undefined),
      logger: { log: () => undefined },
      timer: { set: (cb, ms) => setTimeout(cb, ms), clear: (t) => clearTimeout(t as NodeJS.Timeout) },
      ticks: () => 1,
      render: () => undefined,
    });
    const k1 = host.walletKey();
    expect(k1).toHaveLength(32);
    expect(host.walletKey()).toEqual(k1);
    expect(draws).toBe(1);
    stored = new Uint8Array(16);
    expect(() => host.walletKey()).toThrow(RangeError);
  });
});
