/**
 * FileSlots: the bootloader state and slot bytes persist on disk across
 * re-opens, the trial-boot rules hold, and the updater survives a power cut
 * before or after every write step with the slots on files (each restart
 * re-reads the directory, as a rebooted device would).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PowerFaults } from '../../device/updater/memory.ts';
import { makeImage, powerCutCampaign, sha256Hex, SimulatedDevice, Manufacturer } from '../../device/updater/testbed.ts';
import { FileSlots } from './slots.ts';

const root = mkdtempSync(join(tmpdir(), 'ssiot-slots-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

describe('FileSlots', () => {
  it('writes the inactive slot, boots it on trial, confirms; state survives re-opening', async () => {
    const dir = freshDir();
    const factory = makeImage(3000, 1);
    const slots = FileSlots.create({ dir, capacity: 8192, factoryImage: { bytes: factory, info: { sequence: 1, digest: sha256Hex(factory), size: factory.length } } });
    expect(slots.boot()).toMatchObject({ slot: 'a', trial: false, image: { sequence: 1 } });
    const img = makeImage(5000, 2);
    const w = await slots.openInactive({ erase: true });
    expect(w.slot).toBe('b');
    await w.write(0, img.subarray(0, 4096));
    await w.write(4096, img.subarray(4096));
    expect(Array.from(await w.read(4990, 10))).toEqual(Array.from(img.subarray(4990)));
    await w.finalize({ sequence: 2, digest: sha256Hex(img), size: img.length });
    await slots.setBootSlot('b');
    // "reboot": a new process opens the directory
    const after = FileSlots.open({ dir, capacity: 8192 });
    expect(after.boot()).toMatchObject({ slot: 'b', trial: true });
    await after.confirm();
    const again = FileSlots.open({ dir, capacity: 8192 });
    expect(again.boot()).toMatchObject({ slot: 'b', trial: false, image: { sequence: 2 } });
    expect(sha256Hex(again.readSlot('b', 0, img.length))).toBe(sha256Hex(img));
    expect(JSON.parse(readFileSync(join(dir, 'boot.json'), 'utf8')).confirmed).toBe('b');
  });

  it('an unconfirmed trial reverts at the next boot; unfinalized slots are never booted', async () => {
    const dir = freshDir();
    const slots = FileSlots.create({ dir, capacity: 4096, factoryImage: { bytes: new Uint8Array(10), info: { sequence: 1, digest: sha256Hex(new Uint8Array(10)), size: 10 } } });
    slots.boot();
    const w = await slots.openInactive({ erase: true });
    await w.write(100, new Uint8Array([1, 2, 3]));
    expect(Array.from(slots.readSlot('b', 98, 6))).toEqual([0xff, 0xff, 1, 2, 3, 0xff]);
    await expect(slots.setBootSlot('b')).rejects.toThrow(/finalized/);
    await w.finalize({ sequence: 2, digest: 'x', size: 103 });
    await slots.setBootSlot('b');
    expect(FileSlots.open({ dir, capacity: 4096 }).boot().slot).toBe('b');
    await expect(FileSlots.open({ dir, capacity: 4096 }).openInactive({ erase: true })).rejects.toThrow(/trial/);
    expect(FileSlots.open({ dir, capacity: 4096 }).boot()).toMatchObject({ slot: 'a', trial: false });
  });

  it('a power cut before the boot-state write leaves the old state on disk', async () => {
    const dir = freshDir();
    const faults = new PowerFaults();
    const slots = FileSlots.create({ dir, capacity: 4096, faults, factoryImage: { bytes: new Uint8Array(1), info: { sequence: 1, digest: sha256Hex(new Uint8Array(1)), size: 1 } } });
    slots.boot();
    const w = await slots.openInactive({ erase: true });
    await w.write(0, new Uint8Array([7]));
    faults.cutAt({ step: 0, when: 'before' });
    await expect(w.finalize({ sequence: 2, digest: 'x', size: 1 })).rejects.toThrow(/power cut/);
    await expect(slots.running()).rejects.toThrow(/power cut/);
    const reopened = FileSlots.open({ dir, capacity: 4096, faults });
    expect(reopened.boot().slot).toBe('a');
    expect(reopened.bootState().images.b).toBeUndefined();
  });

  it('updater on file slots: power cut before/after every write step, always a verified image, update completes', async () => {
    const report = await powerCutCampaign({
      makeSlots: ({ faults, capacity, factoryImage }) => FileSlots.create({ dir: freshDir(), capacity, faults, factoryImage }),
    });
    expect(report.labels).toContain('slots.erase b');
    expect(report.runs).toHaveLength(2 * report.labels.length);
    for (const run of report.runs) {
      for (const b of run.boots) {
        expect([report.oldDigest, report.newDigest]).toContain(b.digest);
        expect(b.installedSequence === 5 || (b.installedSequence === 6 && b.digest === report.newDigest)).toBe(true);
      }
      expect(run.finalDigest).toBe(report.newDigest);
      expect(run.finalSequence).toBe(6);
    }
  });

  it('a 1 MiB update through file slots', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, {
      capacity: 2 << 20,
      chunkSize: 16 * 1024,
      makeSlots: ({ faults, capacity, factoryImage }) => FileSlots.create({ dir: freshDir(), capacity, faults, factoryImage }),
    });
    const r = await m.release({ sequence: 2, image: makeImage(1 << 20, 2) });
    d.publish(r);
    expect((await d.updater.handleAnnouncement(m.announce(r, 1))).status).toBe('rebooting');
    expect((await d.restart()).status).toBe('installed');
    expect(d.runningDigest()).toBe(sha256Hex(r.image));
  });
});
