import { describe, it, expect } from 'vitest';
import {
  FIRMWARE_DEVICE,
  buildFirmwareAnnounce,
  buildFirmwareApprove,
  buildFirmwareProgress,
  buildFirmwareStatus,
  validateFirmwareAnnounce,
  validateFirmwareApprove,
  validateFirmwareProgress,
  validateFirmwareStatus,
} from './firmware.ts';
import { expectInvalid, expectRefused, mutate, walk } from './testing.ts';

describe('firmware messages', () => {
  it('announce, approve, progress, status', () => {
    const announce = buildFirmwareAnnounce({ from: 'did:example:mfr', envelope: '2D-_ab', log: [{ versionId: '1-x' }] });
    expect(announce.body).toEqual({ envelope: '2D-_ab', log: [{ versionId: '1-x' }] });
    expectInvalid(() => validateFirmwareAnnounce(mutate(announce, 'body.envelope', 'not base64url!')), 'body.envelope');
    expectInvalid(() => validateFirmwareAnnounce(mutate(announce, 'body.envelope', 'A'.repeat(90000))), 'body.envelope');
    expectInvalid(() => validateFirmwareAnnounce(mutate(announce, 'body.log', 'entries')), 'body.log');
    expectInvalid(() => validateFirmwareAnnounce(mutate(announce, 'body.log', ['line'])), 'body.log');
    expectInvalid(() => validateFirmwareAnnounce(mutate(announce, 'body.log', new Array(65).fill({}))), 'body.log');

    const approve = buildFirmwareApprove({ sequence: 7 });
    expect(approve.body).toEqual({ sequence: 7 });
    expectInvalid(() => validateFirmwareApprove(mutate(approve, 'body.sequence', -1)), 'body.sequence');
    expectInvalid(() => validateFirmwareApprove(mutate(approve, 'body.sequence', '7')), 'body.sequence');

    const progress = buildFirmwareProgress({ thid: announce.id, sequence: 7, status: 'interrupted', offset: 4096 });
    expect(progress.body).toEqual({ sequence: 7, status: 'interrupted', offset: 4096 });
    expect(buildFirmwareProgress({ thid: announce.id, sequence: 7, status: 'rebooting' }).body).toEqual({ sequence: 7, status: 'rebooting' });
    expectInvalid(() => validateFirmwareProgress(mutate(progress, 'body.status', 'installed')), 'body.status');
    expectInvalid(() => validateFirmwareProgress(mutate(progress, 'thid', undefined)), 'thid');

    const status = buildFirmwareStatus({ report: 'eyJh.eyJi.c2ln' });
    expect(status.body).toEqual({ report: 'eyJh.eyJi.c2ln' });
    expectInvalid(() => validateFirmwareStatus(mutate(status, 'body.report', 'eyJh.eyJi')), 'body.report');
    expectInvalid(() => validateFirmwareStatus(mutate(status, 'body.report', 'a.b.' + 'c'.repeat(16384))), 'body.report');
  });

  it('the device state table', () => {
    expect(walk(FIRMWARE_DEVICE, ['receive:announce', 'send:progress', 'send:status']).pop()).toBe('installed');
    expect(walk(FIRMWARE_DEVICE, ['receive:announce', 'send:progress', 'receive:approve', 'send:progress', 'send:status']).pop()).toBe('installed');
    expect(walk(FIRMWARE_DEVICE, ['receive:announce', 'send:problem-report']).pop()).toBe('refused');
    expectRefused(FIRMWARE_DEVICE, [['start', 'receive:approve'], ['announced', 'send:status'], ['refused', 'send:progress']]);
  });
});
