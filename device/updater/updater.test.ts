/**
 * The updater's normal paths, end to end on memory hosts: announcement ->
 * download -> trial boot -> self-test -> confirm -> anti-rollback raised ->
 * signed report; the owner's policies; reports queued while offline; the
 * trusted state only moving forward.
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { base64urlDecode, base64urlEncode } from '../../protocols/encoding/base64url.ts';
import { utf8Decode, utf8Encode } from '../../protocols/encoding/bytes.ts';
import { announcementToJson, parseAnnouncement } from './announcement.ts';
import { verifyStatusReport } from './report.ts';
import { Manufacturer, makeImage, sha256Hex, SimulatedDevice } from './testbed.ts';
import { TRUSTED_STATE_KEY, advanceTrustedState } from './trusted-state.ts';
import { OUTBOX_KEY, UPDATE_RECORD_KEY } from './updater.ts';

async function reportsOf(d: SimulatedDevice) {
  const kid = SimulatedDevice.deviceSigner().verificationMethod;
  const out = [];
  for (const jws of d.reports) out.push(await verifyStatusReport(jws, (k) => (k === kid ? SimulatedDevice.devicePublicKey() : undefined)));
  return out;
}

describe('updater: install path', () => {
  it('installs a release: download, trial boot, self-test, confirm, raise sequence, report', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, { installedSequence: 3 });
    const r = await m.release({ sequence: 4, image: makeImage(9000, 4) });
    d.publish(r);
    const out = await d.updater.handleAnnouncement(m.announce(r, m.log.length));
    expect(out).toEqual({ status: 'rebooting', sequence: 4 });
    expect(d.rebootRequested).toBe(true);
    // anti-rollback not raised before confirmation
    expect(await d.installedSequence()).toBe(3);
    expect(d.runningDigest()).toBe(d.factoryDigest);
    const boot = await d.restart();
    expect(boot).toEqual({ status: 'installed', sequence: 4 });
    expect(d.runningDigest()).toBe(sha256Hex(r.image));
    expect(d.slots.bootState().confirmed).toBe(d.slots.bootState().running);
    expect(await d.installedSequence()).toBe(4);
    expect(await d.kv.get(UPDATE_RECORD_KEY)).toBeUndefined();
    const reports = await reportsOf(d);
    expect(reports).toHaveLength(1);
    expect(reports[0].body).toMatchObject({ status: 'installed', sequence: 4, digest: sha256Hex(r.image), running: { sequence: 4 } });
    expect(reports[0].to).toEqual([m.did]);
    // a later boot is idle and the image stays
    expect(await d.restart()).toEqual({ status: 'idle' });
    expect(d.runningDigest()).toBe(sha256Hex(r.image));
  });

  it('installs twice in a row, alternating slots', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m);
    for (const seq of [2, 3]) {
      const r = await m.release({ sequence: seq, image: makeImage(3000 + seq, seq) });
      d.publish(r);
      expect((await d.updater.handleAnnouncement(m.announce(r, m.log.length))).status).toBe('rebooting');
      expect(await d.restart()).toEqual({ status: 'installed', sequence: seq });
      expect(d.runningDigest()).toBe(sha256Hex(r.image));
    }
    expect(d.slots.bootState().running).toBe('a');
  });

  it('announcements survive their JSON form', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m);
    const r = await m.release({ sequence: 5, image: makeImage(1000, 5) });
    d.publish(r);
    const a = parseAnnouncement(JSON.parse(JSON.stringify(announcementToJson(m.announce(r, 0)))));
    expect((await d.updater.handleAnnouncement(a)).status).toBe('rebooting');
  });

  it('policy ask waits for approval; approve installs; never refuses', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, { policy: 'ask' });
    const r = await m.release({ sequence: 2, image: makeImage(2500, 2) });
    d.publish(r);
    expect(await d.updater.handleAnnouncement(m.announce(r, 1))).toEqual({ status: 'awaiting_approval', sequence: 2 });
    expect(d.images.requests).toHaveLength(0);
    expect(await d.restart()).toEqual({ status: 'awaiting_approval', sequence: 2 });
    await expectCodeAsync(() => d.updater.approve(3), 'firmware.nothing_to_approve');
    expect((await d.updater.approve(2)).status).toBe('rebooting');
    expect((await d.restart()).status).toBe('installed');
    d.policy = 'never';
    const r3 = await m.release({ sequence: 3, image: makeImage(2500, 3) });
    d.publish(r3);
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r3, 1)), 'firmware.policy_refused');
    expect(await d.installedSequence()).toBe(2);
  });

  it('a newer release replaces one waiting for approval; an older one does not', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, { policy: 'ask' });
    const r2 = await m.release({ sequence: 2, image: makeImage(500, 2) });
    const r3 = await m.release({ sequence: 3, image: makeImage(500, 3) });
    expect((await d.updater.handleAnnouncement(m.announce(r3, 1))).status).toBe('awaiting_approval');
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r2, 1)), 'firmware.superseded');
    expect((await d.updater.pendingUpdate())!.sequence).toBe(3);
  });

  it('reports wait in storage while the manufacturer is unreachable, and go out later', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m);
    d.offline = true;
    const r = await m.release({ sequence: 2, image: makeImage(1500, 2) });
    d.publish(r);
    await d.updater.handleAnnouncement(m.announce(r, 1));
    expect((await d.restart()).status).toBe('installed');
    expect(d.reports).toHaveLength(0);
    expect(JSON.parse((await d.kv.get(OUTBOX_KEY))!)).toHaveLength(1);
    d.offline = false;
    expect(await d.updater.flushReports()).toBe(1);
    expect(await d.kv.get(OUTBOX_KEY)).toBeUndefined();
    expect((await reportsOf(d))[0].body.status).toBe('installed');
  });

  it('a tampered report does not verify', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m);
    const r = await m.release({ sequence: 2, image: makeImage(700, 2) });
    d.publish(r);
    await d.updater.handleAnnouncement(m.announce(r, 1));
    await d.restart();
    const [h, p, s] = d.reports[0].split('.');
    const body = JSON.parse(utf8Decode(base64urlDecode(p)));
    body.body.status = 'failed';
    const forged = `${h}.${base64urlEncode(utf8Encode(JSON.stringify(body)))}.${s}`;
    await expectCodeAsync(() => verifyStatusReport(forged, () => SimulatedDevice.devicePublicKey()), 'firmware.bad_signature');
    await expectCodeAsync(() => verifyStatusReport(d.reports[0], () => undefined), 'firmware.unknown_key');
    expect((await verifyStatusReport(d.reports[0], () => SimulatedDevice.devicePublicKey())).body.status).toBe('installed');
  });

  it('a deactivated manufacturer DID: trust follows the log, every release is refused from then on', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m);
    const r = await m.release({ sequence: 2, image: makeImage(600, 2) });
    d.publish(r);
    await m.deactivate();
    await expectCodeAsync(() => d.updater.handleAnnouncement(m.announce(r, 1)), 'firmware.manufacturer_deactivated');
    const t = await d.updater.trustedState();
    expect(t.manufacturer.parameters.deactivated).toBe(true);
    await expectCodeAsync(() => d.updater.handleAnnouncement({ envelope: r.envelope, log: [] }), 'firmware.manufacturer_deactivated');
    expect(d.images.requests).toHaveLength(0);
  });

  it('the trusted state refuses to move backwards', async () => {
    const m = await Manufacturer.create();
    await m.touch();
    const d = await SimulatedDevice.manufacture(m, { installedSequence: 5 });
    const t = await d.updater.trustedState();
    await expectCodeAsync(() => advanceTrustedState(d.kv, t, { ...t, installedSequence: 4 }), 'firmware.state_regression');
    await expectCodeAsync(() => advanceTrustedState(d.kv, t, { ...t, manufacturer: m.stateAt(1) }), 'firmware.state_regression');
    await expectCodeAsync(() => advanceTrustedState(d.kv, t, { ...t, lastSeen: '2000-01-01T00:00:00Z' }), 'firmware.state_regression');
    expect(JSON.parse((await d.kv.get(TRUSTED_STATE_KEY))!)).toEqual(t);
  });
});
