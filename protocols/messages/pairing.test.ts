import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { createInvitation } from './out-of-band.ts';
import {
  PAIRING_DEVICE,
  PAIRING_PHONE,
  PAIR_REQUEST_TYPE,
  TRANSFER_DEVICE,
  TRANSFER_OWNER,
  buildPairRequest,
  buildPairResponse,
  buildSpake2PlusConfirm,
  buildSpake2PlusParams,
  buildSpake2PlusParamsRequest,
  buildSpake2PlusResponse,
  buildSpake2PlusStart,
  buildTransferClosed,
  buildTransferOpen,
  buildTransferOpened,
  bytesField,
  checkPairingProof,
  deviceCertificateOf,
  pairingProof,
  pairingTranscript,
  parsePairRequest,
  validatePairRequest,
  validatePairResponse,
  validateSpake2PlusConfirm,
  validateSpake2PlusParams,
  validateSpake2PlusParamsRequest,
  validateSpake2PlusResponse,
  validateSpake2PlusStart,
  validateTransferClosed,
  validateTransferOpen,
  validateTransferOpened,
} from './pairing.ts';
import { expectInvalid, expectRefused, mutate, walk } from './testing.ts';

const DEVICE = 'did:example:device';
const PHONE = 'did:example:phone';
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const NONCE = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const CERT = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential', 'DeviceCertificate'], issuer: 'did:example:maker', credentialSubject: { id: DEVICE }, proof: {} };
const bytes = (n: number, v = 7) => new Uint8Array(n).fill(v);

describe('pairing by QR: pair-request / pair-response', () => {
  it('the proof binds invitation, both DIDs and the nonce; the secret is never in the message', () => {
    const m = buildPairRequest({ from: PHONE, to: [DEVICE], invitationId: 'inv-1', deviceDid: DEVICE, secret: SECRET, nonce: NONCE });
    expect(m.type).toBe(PAIR_REQUEST_TYPE);
    expect(m.pthid).toBe('inv-1');
    expect(JSON.stringify(m)).not.toContain(base64urlEncode(SECRET));
    const parsed = parsePairRequest(JSON.parse(JSON.stringify(m)));
    expect(parsed.transcript).toEqual({ invitationId: 'inv-1', deviceDid: DEVICE, ownerDid: PHONE, nonce: NONCE });
    expect(checkPairingProof(SECRET, parsed.transcript, parsed.proof)).toBe(true);
    const wrong = SECRET.slice();
    wrong[0] ^= 1;
    expect(checkPairingProof(wrong, parsed.transcript, parsed.proof)).toBe(false);
    for (const t of [
      { ...parsed.transcript, invitationId: 'inv-2' },
      { ...parsed.transcript, deviceDid: 'did:example:other' },
      { ...parsed.transcript, ownerDid: 'did:example:mitm' },
      { ...parsed.transcript, nonce: bytes(32) },
    ]) expect(checkPairingProof(SECRET, t, parsed.proof)).toBe(false);
    // a fresh nonce each time by default
    const a = buildPairRequest({ from: PHONE, invitationId: 'inv-1', deviceDid: DEVICE, secret: SECRET });
    const b = buildPairRequest({ from: PHONE, invitationId: 'inv-1', deviceDid: DEVICE, secret: SECRET });
    expect(a.body.nonce).not.toBe(b.body.nonce);
  });

  it('transcript is JCS of the fixed members (stable bytes for other implementations)', () => {
    const t = new TextDecoder().decode(pairingTranscript({ invitationId: 'inv-1', deviceDid: DEVICE, ownerDid: PHONE, nonce: NONCE }));
    expect(t).toBe(`{"ctx":"ssiot-pairing/1.0","device":"${DEVICE}","invitation_id":"inv-1","nonce":"${base64urlEncode(NONCE)}","owner":"${PHONE}"}`);
    expect(pairingProof(SECRET, { invitationId: 'inv-1', deviceDid: DEVICE, ownerDid: PHONE, nonce: NONCE })).toHaveLength(32);
    expectCode(() => pairingProof(bytes(8), { invitationId: 'i', deviceDid: DEVICE, ownerDid: PHONE, nonce: NONCE }), 'protocol.invalid_argument');
    expectCode(() => pairingTranscript({ invitationId: '', deviceDid: DEVICE, ownerDid: PHONE, nonce: NONCE }), 'protocol.invalid_argument');
    expectCode(() => pairingTranscript({ invitationId: 'i', deviceDid: 'x', ownerDid: PHONE, nonce: NONCE }), 'protocol.invalid_argument');
    expectCode(() => pairingTranscript({ invitationId: 'i', deviceDid: DEVICE, ownerDid: PHONE, nonce: bytes(16) }), 'protocol.invalid_argument');
  });

  it('pair-request: each invalid field', () => {
    const m = buildPairRequest({ from: PHONE, invitationId: 'inv-1', deviceDid: DEVICE, secret: SECRET, nonce: NONCE });
    expectInvalid(() => validatePairRequest(mutate(m, 'from', undefined)), 'from');
    expectInvalid(() => validatePairRequest(mutate(m, 'pthid', undefined)), 'pthid');
    expectInvalid(() => validatePairRequest(mutate(m, 'pthid', 'inv-2')), 'body.invitation_id');
    expectInvalid(() => validatePairRequest(mutate(m, 'body.invitation_id', 3)), 'body.invitation_id');
    expectInvalid(() => validatePairRequest(mutate(m, 'body.device', 'device')), 'body.device');
    expectInvalid(() => validatePairRequest(mutate(m, 'body.nonce', base64urlEncode(bytes(16)))), 'body.nonce');
    expectInvalid(() => validatePairRequest(mutate(m, 'body.nonce', 'a+b/')), 'body.nonce');
    expectInvalid(() => validatePairRequest(mutate(m, 'body.proof', undefined)), 'body.proof');
    expectInvalid(() => validatePairRequest(mutate(m, 'body.proof', base64urlEncode(bytes(31)))), 'body.proof');
  });

  it('pair-response: accepted with a device certificate', () => {
    const r = buildPairResponse({ from: DEVICE, thid: 'req', pthid: 'inv-1', deviceDid: DEVICE, ownerDid: PHONE, deviceCertificate: CERT });
    expect(r.body).toEqual({ status: 'accepted', device: DEVICE, owner: PHONE });
    expect(deviceCertificateOf(r)).toEqual(CERT);
    expectInvalid(() => validatePairResponse(mutate(r, 'thid', undefined)), 'thid');
    expectInvalid(() => validatePairResponse(mutate(r, 'body.status', 'rejected')), 'body.status');
    expectInvalid(() => validatePairResponse(mutate(r, 'body.device', 1)), 'body.device');
    expectInvalid(() => validatePairResponse(mutate(r, 'body.owner', 'x')), 'body.owner');
    expectInvalid(() => validatePairResponse(mutate(r, 'attachments', undefined)), 'attachments');
    expectInvalid(() => validatePairResponse(mutate(r, 'attachments.0.data.json.type', ['VerifiableCredential'])), 'attachments');
  });
});

describe('pairing by manual code: SPAKE2+ messages', () => {
  it('builds and checks each message', () => {
    const pr = buildSpake2PlusParamsRequest({ from: PHONE, to: [DEVICE] });
    expectInvalid(() => validateSpake2PlusParamsRequest(mutate(pr, 'from', undefined)), 'from');
    const params = buildSpake2PlusParams({ thid: pr.id, suite: 'P256-SHA256-HKDF-SHA256-HMAC-SHA256', pbkdf: { alg: 'scrypt', N: 32768, r: 8, p: 1 }, salt: bytes(16), idProver: new Uint8Array(0), idVerifier: new Uint8Array(0) });
    const parsed = validateSpake2PlusParams(params).params;
    expect(parsed.salt).toEqual(bytes(16));
    expect(parsed.idProver).toHaveLength(0);
    expectInvalid(() => validateSpake2PlusParams(mutate(params, 'body.salt', base64urlEncode(bytes(8)))), 'body.salt');
    expectInvalid(() => validateSpake2PlusParams(mutate(params, 'body.pbkdf.alg', 'pbkdf2')), 'body.pbkdf.alg');
    expectInvalid(() => validateSpake2PlusParams(mutate(params, 'body.pbkdf.N', 0)), 'body.pbkdf.N');
    expectInvalid(() => validateSpake2PlusParams(mutate(params, 'body.pbkdf', undefined)), 'body.pbkdf');
    expectInvalid(() => validateSpake2PlusParams(mutate(params, 'body.suite', '')), 'body.suite');
    expectInvalid(() => validateSpake2PlusParams(mutate(params, 'body.id_prover', 1)), 'body.id_prover');
    expectInvalid(() => validateSpake2PlusParams(mutate(params, 'thid', undefined)), 'thid');

    const start = buildSpake2PlusStart({ from: PHONE, thid: pr.id, shareP: bytes(65, 4) });
    expect(bytesField(start, 'share_p')).toEqual(bytes(65, 4));
    expectInvalid(() => validateSpake2PlusStart(mutate(start, 'body.share_p', base64urlEncode(bytes(33)))), 'body.share_p');
    expectInvalid(() => validateSpake2PlusStart(mutate(start, 'from', undefined)), 'from');

    const resp = buildSpake2PlusResponse({ thid: pr.id, shareV: bytes(65, 4), confirmV: bytes(32) });
    expectInvalid(() => validateSpake2PlusResponse(mutate(resp, 'body.share_v', undefined)), 'body.share_v');
    expectInvalid(() => validateSpake2PlusResponse(mutate(resp, 'body.confirm_v', base64urlEncode(bytes(64)))), 'body.confirm_v');
    expectInvalid(() => validateSpake2PlusResponse(mutate(resp, 'thid', undefined)), 'thid');

    const conf = buildSpake2PlusConfirm({ thid: pr.id, confirmP: bytes(32) });
    expectInvalid(() => validateSpake2PlusConfirm(mutate(conf, 'body.confirm_p', 'AAA=')), 'body.confirm_p');
    expectInvalid(() => validateSpake2PlusConfirm(mutate(conf, 'thid', undefined)), 'thid');
  });
});

describe('transfer windows', () => {
  it('transfer-open / transfer-opened / transfer-closed', () => {
    const open = buildTransferOpen({ from: PHONE, to: [DEVICE], windowSeconds: 600 });
    expectInvalid(() => validateTransferOpen(mutate(open, 'body.window_seconds', 0)), 'body.window_seconds');
    expectInvalid(() => validateTransferOpen(mutate(open, 'body.window_seconds', 86401)), 'body.window_seconds');
    expectInvalid(() => validateTransferOpen(mutate(open, 'body.window_seconds', 1.5)), 'body.window_seconds');
    const inv = createInvitation({ from: DEVICE, goalCode: 'pair-device' });
    const opened = buildTransferOpened({ thid: open.id, windowExpires: 1_800_000_600, invitation: inv });
    expect(validateTransferOpened(opened)).toEqual(opened);
    expectInvalid(() => validateTransferOpened(mutate(opened, 'attachments', undefined)), 'attachments');
    expectInvalid(() => validateTransferOpened(mutate(opened, 'body.window_expires', -1)), 'body.window_expires');
    const closed = buildTransferClosed({ thid: open.id, reason: 'completed' });
    expectInvalid(() => validateTransferClosed(mutate(closed, 'body.reason', 'bored')), 'body.reason');
    expectInvalid(() => validateTransferClosed(mutate(closed, 'thid', undefined)), 'thid');
  });
});

describe('pairing state machines', () => {
  it('device and phone, QR and manual paths', () => {
    const confirm = ['receive:request-credential', 'send:issue-credential'];
    expect(walk(PAIRING_DEVICE, ['receive:pair-request', 'send:pair-response']).pop()).toBe('attested');
    expect(walk(PAIRING_DEVICE, ['receive:pair-request', 'send:pair-response', ...confirm]).pop()).toBe('paired');
    expect(walk(PAIRING_DEVICE, ['receive:pair-request', 'send:pair-response', 'receive:request-credential', 'send:problem-report']).pop()).toBe('refused');
    expect(walk(PAIRING_DEVICE, ['receive:pair-request', 'send:problem-report']).pop()).toBe('refused');
    expect(
      walk(PAIRING_DEVICE, ['receive:spake2plus-params-request', 'send:spake2plus-params', 'receive:spake2plus-start', 'send:spake2plus-response', 'receive:spake2plus-confirm', 'send:pair-response', ...confirm]).pop(),
    ).toBe('paired');
    expect(walk(PAIRING_PHONE, ['send:pair-request', 'receive:pair-response', 'send:request-credential', 'receive:issue-credential']).pop()).toBe('paired');
    expect(
      walk(PAIRING_PHONE, ['send:spake2plus-params-request', 'receive:spake2plus-params', 'send:spake2plus-start', 'receive:spake2plus-response', 'send:spake2plus-confirm', 'receive:problem-report']).pop(),
    ).toBe('refused');
    expectRefused(PAIRING_DEVICE, [
      ['start', 'send:pair-response'],
      ['start', 'receive:spake2plus-confirm'],
      ['start', 'receive:spake2plus-start'],
      ['pake-responded', 'send:pair-response'],
      ['attested', 'send:issue-credential'],
      ['paired', 'receive:pair-request'],
      ['refused', 'receive:pair-request'],
    ]);
    expectRefused(PAIRING_PHONE, [['start', 'receive:pair-response'], ['pake-started', 'send:spake2plus-confirm'], ['paired', 'send:pair-request']]);
  });

  it('transfer', () => {
    expect(walk(TRANSFER_DEVICE, ['receive:transfer-open', 'send:transfer-opened', 'send:transfer-closed']).pop()).toBe('closed');
    expect(walk(TRANSFER_OWNER, ['send:transfer-open', 'receive:transfer-opened', 'send:transfer-closed']).pop()).toBe('closed');
    expectRefused(TRANSFER_DEVICE, [['start', 'send:transfer-opened'], ['closed', 'send:transfer-closed'], ['open-requested', 'send:transfer-closed']]);
    expectRefused(TRANSFER_OWNER, [['start', 'receive:transfer-closed'], ['closed', 'receive:transfer-opened']]);
  });
});
