/**
 * The attack suite of issue 5: each case is refused (or survived) and the
 * device still boots a verified image afterwards. Runs in Node and in XS.
 *
 * "Still bootable" is checked the hard way: restart the simulated device
 * (bootloader + boot()) and recompute the SHA-256 of the bytes in the slot
 * it runs; it must be an image a signed manifest stated (or the factory
 * image), and the anti-rollback sequence must be what it was.
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { nextKeyHashOf } from '../../protocols/did/webvh/create.ts';
import { base64urlDecode } from '../../protocols/encoding/base64url.ts';
import { utf8Decode, utf8Encode } from '../../protocols/encoding/bytes.ts';
import { cborDecode, cborEncode, cborEncodeDeterministic, CborTag } from '../../protocols/encoding/cbor.ts';
import { CLASS_ID, Manufacturer, makeImage, powerCutCampaign, SELF_TEST_FAIL, sha256Hex, SimulatedDevice, VENDOR_ID, type Release } from './testbed.ts';
import { UPDATE_RECORD_KEY } from './updater.ts';
import { decodeEnvelope } from '../../protocols/firmware/envelope.ts';

const IMAGE_SIZE = 8 * 1024;

/** Restart and check the device runs `digest` (a verified image) with anti-rollback at `sequence`. */
async function expectBootable(d: SimulatedDevice, digest: string, sequence: number): Promise<void> {
  const outcome = await d.restart();
  expect(['idle', 'resumable', 'awaiting_approval', 'reverted', 'installed']).toContain(outcome.status);
  expect(d.runningDigest()).toBe(digest);
  expect(d.verifiedDigests.has(d.runningDigest())).toBe(true);
  expect(await d.installedSequence()).toBe(sequence);
}

async function setup(options: { prerotation?: boolean; installedSequence?: number } = {}) {
  const m = await Manufacturer.create({ prerotation: options.prerotation });
  const d = await SimulatedDevice.manufacture(m, { installedSequence: options.installedSequence ?? 5 });
  return { m, d };
}

async function released(m: Manufacturer, d: SimulatedDevice, sequence: number, extra: Partial<Parameters<Manufacturer['release']>[0]> = {}): Promise<Release> {
  const r = await m.release({ sequence, image: makeImage(IMAGE_SIZE, sequence), ...extra });
  d.publish(r);
  d.verifiedDigests.add(sha256Hex(r.image));
  return r;
}

describe('attack suite: manifests', () => {
  it('rollback to a lower sequence number is refused', async () => {
    const { m, d } = await setup({ installedSequence: 5 });
    const r = await released(m, d, 3);
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.rollback');
    expect(d.images.requests).toHaveLength(0);
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('replay of the installed manifest is refused', async () => {
    const { m, d } = await setup({ installedSequence: 5 });
    const r = await released(m, d, 6);
    await d.updater.handleAnnouncement(m.announce(r, 1));
    expect((await d.restart()).status).toBe('installed');
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.replay');
    await expectBootable(d, sha256Hex(r.image), 6);
  });

  it('wrong vendor is refused', async () => {
    const { m, d } = await setup();
    const r = await released(m, d, 6, { vendorId: '00000000-0000-5000-8000-000000000000' });
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.wrong_vendor');
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('wrong class is refused', async () => {
    const { m, d } = await setup();
    const r = await released(m, d, 6, { classId: VENDOR_ID, vendorId: VENDOR_ID });
    expect(CLASS_ID).not.toBe(VENDOR_ID);
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.wrong_class');
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('bad signature is refused (flipped bit; another key under the manufacturer kid)', async () => {
    const { m, d } = await setup();
    const r = await released(m, d, 6);
    const flipped = r.envelope.slice();
    const sig = decodeEnvelope(r.envelope).authentication.blocks[0].signature;
    flipped[indexOf(flipped, sig) + 10] ^= 0x01;
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: flipped, log: [] }), 'firmware.bad_signature');
    // a stranger's key, claiming the manufacturer's kid
    const stranger = await Manufacturer.create({ start: new Date(Date.UTC(2025, 0, 2)) });
    const forged = await stranger.release({ sequence: 6, image: r.image });
    const swapped = swapKid(forged.envelope, stranger.kid(0), m.kid(0));
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: swapped, log: [] }), 'firmware.bad_signature');
    // and under its own DID: not the pinned manufacturer
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: forged.envelope, log: [] }), 'firmware.wrong_signer');
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('signed by a key rotated out before signing is refused', async () => {
    const { m, d } = await setup();
    await m.rotate(1);
    const r = await released(m, d, 6, { key: 0 });
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.key_not_authorized');
    // the rotation itself was verified and kept: trust moved forward
    expect((await d.updater.trustedState()).manufacturer.versionNumber).toBe(2);
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('signed by a key not yet authorized is refused (its log entry not shown)', async () => {
    const { m, d } = await setup({ prerotation: true });
    await m.rotate(1, 2);
    const r = await released(m, d, 6, { key: 1 });
    // key 1 is pre-committed (its hash is in nextKeyHashes) but the entry adding it is withheld
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r.envelope, log: [] }), 'firmware.key_not_authorized');
    expect((await d.updater.trustedState()).manufacturer.versionNumber).toBe(1);
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('malformed CBOR is refused', async () => {
    const { m, d } = await setup();
    const r = await released(m, d, 6);
    for (const bad of [r.envelope.subarray(0, r.envelope.length - 1), new Uint8Array([0xd8, 0x6b, 0xa2, 0x02]), cborEncode('not an envelope'), new Uint8Array(0)]) {
      await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: bad, log: [] }), 'firmware.malformed');
    }
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('oversized CBOR is refused before decoding', async () => {
    const { d } = await setup();
    const huge = new Uint8Array(64 * 1024 + 1);
    huge.set([0xd8, 0x6b, 0xa2, 0x02, 0x5a, 0x00, 0x01, 0x00, 0x00]);
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: huge, log: [] }), 'firmware.too_large');
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: new Uint8Array(10), log: new Array(65).fill({}) }), 'firmware.too_large');
    await expectBootable(d, d.factoryDigest, 5);
  });
});

describe('attack suite: DID log', () => {
  it('forged log entry (signed by a key that is not an update key) is refused', async () => {
    const { m, d } = await setup();
    const attacker = Manufacturer.key(66);
    const forged = await m.forgeEntry({ signer: attacker });
    const r = await released(m, d, 6);
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r.envelope, log: [forged] }), 'did.webvh_unauthorized_key');
    expect((await d.updater.trustedState()).manufacturer.versionNumber).toBe(1);
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('forged log entry (document changed after signing) is refused', async () => {
    const { m, d } = await setup();
    await m.rotate(1);
    const entry = JSON.parse(JSON.stringify(m.log[1]));
    entry.state.assertionMethod.push(`${m.did}#attacker`);
    const r = await released(m, d, 6);
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r.envelope, log: [entry] }), 'did.webvh_fork');
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('truncated log (ends before the device anchor) is refused', async () => {
    const m = await Manufacturer.create();
    await m.touch();
    await m.touch();
    const d = await SimulatedDevice.manufacture(m, { installedSequence: 5 });
    const r = await released(m, d, 6);
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r.envelope, log: m.log.slice(0, 2) }), 'did.webvh_rollback');
    expect((await d.updater.trustedState()).manufacturer.versionNumber).toBe(3);
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('truncated log (an entry missing in the middle) is refused', async () => {
    const { m, d } = await setup();
    await m.touch();
    await m.touch();
    const r = await released(m, d, 6);
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r.envelope, log: [m.log[2]] }), 'did.webvh_gap');
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('reordered log is refused', async () => {
    const { m, d } = await setup();
    await m.touch();
    await m.touch();
    const r = await released(m, d, 6);
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r.envelope, log: [m.log[2], m.log[1]] }), 'did.webvh_gap');
    expect((await d.updater.trustedState()).manufacturer.versionNumber).toBe(1);
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('forked log is refused', async () => {
    const { m, d } = await setup();
    await m.touch();
    const r = await released(m, d, 6);
    // the device accepts the real entry 2 ...
    await d.updater.handleAnnouncement(m.announce(r, 1));
    await d.restart();
    expect((await d.updater.trustedState()).manufacturer.versionNumber).toBe(2);
    // ... then is shown another entry 2 (validly signed by the real key: a fork by the controller)
    const later = new Date(Date.parse(m.log[1].versionTime) + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const fork2 = await m.forgeEntry({ after: 1, versionTime: later, document: { ...m.log[0].state, alsoKnownAs: ['did:example:fork'] } });
    const r7 = await released(m, d, 7);
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r7.envelope, log: [m.log[0], fork2] }), 'did.webvh_fork');
    // a continuation of the fork (entry 3 chained on the other entry 2) does not chain either
    const fakeLog = [m.log[0], fork2];
    const saved = m.log;
    m.log = fakeLog;
    const fork3 = await m.forgeEntry({});
    m.log = saved;
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r7.envelope, log: [fork3] }), 'did.webvh_fork');
    await expectBootable(d, sha256Hex(r.image), 6);
  });

  it('log whose versionTime goes backwards is refused', async () => {
    const { m, d } = await setup();
    const back = await m.forgeEntry({ versionTime: '2024-06-01T00:00:00Z' });
    const r = await released(m, d, 6);
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r.envelope, log: [back] }), 'did.webvh_version_time');
    await expectBootable(d, d.factoryDigest, 5);
  });
});

describe('attack suite: images', () => {
  it('image shorter than the manifest is refused and reported', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, { installedSequence: 5, sourceFaults: { truncateAt: IMAGE_SIZE - 100 } });
    const r = await released(m, d, 6);
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.image_too_short');
    expect(d.reports).toHaveLength(1);
    expect(JSON.parse(utf8Decode(base64urlDecode(d.reports[0].split('.')[1]))).body).toMatchObject({ status: 'failed', sequence: 6, reason: 'firmware.image_too_short', running: { slot: 'a', sequence: 5 } });
    expect(await d.kv.get(UPDATE_RECORD_KEY)).toBeUndefined();
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('image longer than the manifest (endless data) is refused at the first extra byte', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, { installedSequence: 5, sourceFaults: { trailing: 'endless' } });
    const r = await released(m, d, 6);
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.image_too_long');
    // nothing beyond the stated size reached the slot
    const slot = d.slots.bootState().running === 'a' ? 'b' : 'a';
    expect(Array.from(d.slots.readSlot(slot, IMAGE_SIZE, 64)).every((x) => x === 0xff)).toBe(true);
    expect(d.slots.bootState().images[slot]).toBeUndefined();
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('image one bit different from the manifest is refused', async () => {
    const { m, d } = await setup();
    const r = await released(m, d, 6);
    const bad = r.image.slice();
    bad[4321] ^= 0x08;
    d.publish(r, bad);
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.digest_mismatch');
    const slot = d.slots.bootState().running === 'a' ? 'b' : 'a';
    expect(d.slots.bootState().images[slot]).toBeUndefined();
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('a server that ignores Range cannot slip bytes in (digest mismatch)', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, { installedSequence: 5, sourceFaults: { dropAt: [3000], ignoreRange: true } });
    const r = await released(m, d, 6);
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.image_too_long');
    await expectBootable(d, d.factoryDigest, 5);
  });
});

describe('attack suite: survival', () => {
  it('interrupted download resumes from the offset', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, { installedSequence: 5, sourceFaults: { dropAt: [2500, 6100], throwOnDrop: true } });
    const r = await released(m, d, 6);
    expect((await d.updater.handleAnnouncement(m.announce(r, 1))).status).toBe('rebooting');
    expect(d.images.requests.map((q) => q.offset)).toEqual([0, 2500, 6100]);
    expect((await d.restart()).status).toBe('installed');
    await expectBootable(d, sha256Hex(r.image), 6);
  });

  it('interrupted download resumes from the saved offset after a restart (prefix re-hashed from flash)', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, { installedSequence: 5, sourceFaults: { downFrom: 5000 } });
    const r = await released(m, d, 6);
    expect(await d.updater.handleAnnouncement(m.announce(r, 1))).toEqual({ status: 'interrupted', sequence: 6, offset: 5000 });
    expect(d.images.requests.map((q) => q.offset)).toEqual([0, 5000, 5000, 5000]);
    const boot = await d.restart();
    expect(boot).toEqual({ status: 'resumable', sequence: 6, offset: 5000 });
    d.setSourceFaults({});
    expect((await d.updater.resume()).status).toBe('rebooting');
    expect(d.images.requests.map((q) => q.offset)).toEqual([5000]);
    expect((await d.restart()).status).toBe('installed');
    await expectBootable(d, sha256Hex(r.image), 6);
  });

  it('self-test failure reverts to the old image and is reported', async () => {
    const { m, d } = await setup();
    const r = await released(m, d, 6, { image: makeImage(IMAGE_SIZE, 6, SELF_TEST_FAIL) });
    d.verifiedDigests.add(sha256Hex(r.image));
    expect((await d.updater.handleAnnouncement(m.announce(r, 1))).status).toBe('rebooting');
    expect(await d.restart()).toEqual({ status: 'reverting', sequence: 6, reason: 'self_test_failed' });
    expect(d.rebootRequested).toBe(true);
    expect(await d.restart()).toEqual({ status: 'reverted', sequence: 6, reason: 'self_test_failed' });
    await expectBootable(d, d.factoryDigest, 5);
    const payload = JSON.parse(utf8Decode(base64urlDecode(d.reports[d.reports.length - 1].split('.')[1])));
    expect(payload.body).toMatchObject({ status: 'reverted', sequence: 6, reason: 'self_test_failed' });
  });

  it('a trial image that never confirms (crash, power loss) is reverted by the bootloader', async () => {
    const { m, d } = await setup();
    const r = await released(m, d, 6);
    await d.updater.handleAnnouncement(m.announce(r, 1));
    d.slots.boot(); // the new image starts but dies before the updater's boot() runs
    expect(await d.restart()).toEqual({ status: 'reverted', sequence: 6, reason: 'not_confirmed' });
    await expectBootable(d, d.factoryDigest, 5);
  });

  it('power cut at every write step: the device always boots a verified image and finishes the update', async () => {
    const report = await powerCutCampaign();
    expect(report.labels.length).toBeGreaterThan(15);
    expect(report.labels[0]).toBe('kv.set firmware/trusted');
    expect(report.labels.some((l) => l.startsWith('slots.write'))).toBe(true);
    expect(report.labels).toContain('slots.confirm');
    expect(report.runs).toHaveLength(2 * report.labels.length);
    for (const run of report.runs) {
      // every start ran an image a signed manifest stated (or the factory image), byte for byte
      expect(run.boots.length).toBeGreaterThan(0);
      for (const b of run.boots) {
        expect(b.digest === report.oldDigest || b.digest === report.newDigest).toBe(true);
        // anti-rollback raised only with the new image confirmed and running
        expect(b.installedSequence === 5 || (b.installedSequence === 6 && b.digest === report.newDigest)).toBe(true);
      }
      expect(run.finalDigest).toBe(report.newDigest);
      expect(run.finalSequence).toBe(6);
    }
  });

  it('a correct key rotation with pre-rotation is accepted', async () => {
    const { m, d } = await setup({ prerotation: true });
    await m.rotate(1, 2);
    const r = await released(m, d, 6, { key: 1 });
    expect((await d.updater.handleAnnouncement(m.announce(r, 1))).status).toBe('rebooting');
    expect((await d.restart()).status).toBe('installed');
    const t = await d.updater.trustedState();
    expect(t.manufacturer.versionNumber).toBe(2);
    expect(t.manufacturer.parameters.nextKeyHashes).toEqual([nextKeyHashOf(Manufacturer.key(2))]);
    await expectBootable(d, sha256Hex(r.image), 6);
  });

  it('recovery after a signing-key compromise: rotate to the pre-committed key, the old key is refused from then on', async () => {
    const { m, d } = await setup({ prerotation: true });
    // the attacker holds key 0 (the current firmware and update key)
    const evil = await released(m, d, 50, { key: 0, image: makeImage(IMAGE_SIZE, 666) });
    // it cannot extend the log with key 0: the next entry must rotate to the committed key 1
    const grab = await m.forgeEntry({ signer: Manufacturer.key(0), parameters: { updateKeys: [Manufacturer.multikey(0)], nextKeyHashes: [] } });
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: evil.envelope, log: [grab] }), 'did.webvh_prerotation');
    // the manufacturer rotates to key 1 (committed at creation), committing to key 2
    await m.rotate(1, 2);
    const good = await released(m, d, 7, { key: 1 });
    expect((await d.updater.handleAnnouncement(m.announce(good, 1))).status).toBe('rebooting');
    expect((await d.restart()).status).toBe('installed');
    // from now on, key 0 signs nothing the device accepts, with or without log entries
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: evil.envelope, log: [] }), 'firmware.key_not_authorized');
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: evil.envelope, log: m.log }), 'firmware.key_not_authorized');
    const evil2 = await released(m, d, 51, { key: 0, image: makeImage(IMAGE_SIZE, 667) });
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: evil2.envelope, log: [] }), 'firmware.key_not_authorized');
    await expectBootable(d, sha256Hex(good.image), 7);
  });
});

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  throw new Error('not found');
}

/** Re-encode an envelope with its COSE kid replaced (signature kept: it no longer matches). */
function swapKid(envelope: Uint8Array, from: string, to: string): Uint8Array {
  const env = cborDecode(envelope, { maps: 'map' }) as InstanceType<typeof CborTag>;
  const map = env.value as Map<number, unknown>;
  const auth = cborDecode(map.get(2) as Uint8Array, { maps: 'map' }) as Uint8Array[];
  const block = cborDecode(auth[1], { maps: 'map' }) as InstanceType<typeof CborTag>;
  const [, unprot, payload, sig] = block.value as unknown[];
  expect(from).not.toBe(to);
  const prot = cborEncodeDeterministic(new Map<number, unknown>([[1, -8], [4, utf8Encode(to)]]));
  auth[1] = cborEncodeDeterministic(new CborTag([prot, unprot, payload, sig], 18));
  map.set(2, cborEncodeDeterministic(auth));
  return cborEncodeDeterministic(new CborTag(map, 107));
}
