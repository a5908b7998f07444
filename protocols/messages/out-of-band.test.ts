import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { generateDidPeer2 } from '../did/peer2.ts';
import { base64urlEncode } from '../encoding/base64url.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import {
  INVITATION_TYPE,
  PAIR_DEVICE_GOAL_CODE,
  attachmentBytes,
  bytesAttachment,
  createInvitation,
  encodeOobIdUrl,
  encodeOobParam,
  encodeOobUrl,
  invitationResponseHeaders,
  parseOobUrl,
} from './out-of-band.ts';

// DIDComm v2 spec §"Example Out-of-Band Message Encoding"
const SPEC_B64 =
  'eyJ0eXBlIjoiaHR0cHM6Ly9kaWRjb21tLm9yZy9vdXQtb2YtYmFuZC8yLjAvaW52aXRhdGlvbiIsImlkIjoiNjkyMTJhM2EtZDA2OC00ZjlkLWEyZGQtNDc0MWJjYTg5YWYzIiwiZnJvbSI6ImRpZDpleGFtcGxlOmFsaWNlIiwiYm9keSI6eyJnb2FsX2NvZGUiOiIiLCJnb2FsIjoiIn0sImF0dGFjaG1lbnRzIjpbeyJpZCI6InJlcXVlc3QtMCIsIm1lZGlhX3R5cGUiOiJhcHBsaWNhdGlvbi9qc29uIiwiZGF0YSI6eyJqc29uIjoiPGpzb24gb2YgcHJvdG9jb2wgbWVzc2FnZT4ifX1dfQ';
const SPEC_INVITATION = {
  type: INVITATION_TYPE,
  id: '69212a3a-d068-4f9d-a2dd-4741bca89af3',
  from: 'did:example:alice',
  body: { goal_code: '', goal: '' },
  attachments: [{ id: 'request-0', media_type: 'application/json', data: { json: '<json of protocol message>' } }],
};

describe('out-of-band 2.0', () => {
  it('encodes the spec example byte for byte (compact JSON, unpadded base64url)', () => {
    const inv = createInvitation({ id: SPEC_INVITATION.id, from: 'did:example:alice', goalCode: '', goal: '', attachments: SPEC_INVITATION.attachments });
    expect(inv).toEqual(SPEC_INVITATION);
    expect(encodeOobParam(inv)).toBe(SPEC_B64);
    expect(encodeOobUrl(inv, 'https://example.com/path')).toBe(`https://example.com/path?_oob=${SPEC_B64}`);
  });

  it('parses the spec example URL', () => {
    const r = parseOobUrl(`https://example.com/path?_oob=${SPEC_B64}`);
    expect(r.kind).toBe('invitation');
    expect(r.kind === 'invitation' && r.invitation).toEqual(SPEC_INVITATION);
  });

  it('adds nothing optional: only the fields given', () => {
    const inv = createInvitation({ id: 'i1', from: 'did:example:alice' });
    expect(JSON.stringify(inv)).toBe('{"type":"https://didcomm.org/out-of-band/2.0/invitation","id":"i1","from":"did:example:alice","body":{}}');
    const withAccept = createInvitation({ id: 'i2', from: 'did:example:alice', goalCode: 'issue-vc', goal: 'To issue', accept: ['didcomm/v2'] });
    expect(withAccept.body).toEqual({ goal_code: 'issue-vc', goal: 'To issue', accept: ['didcomm/v2'] });
  });

  it('parsing is lenient about encoding (padding, percent-encoding, standard alphabet, extra params, fragment)', () => {
    const inv = createInvitation({ id: 'i3', from: 'did:example:alice', goalCode: 'x?' });
    const b64 = encodeOobParam(inv);
    const std = b64.replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    for (const url of [
      `https://x.example/?a=1&_oob=${b64}#frag`,
      `https://x.example/?_oob=${encodeURIComponent(padded)}`,
      `https://x.example/?_oob=${encodeURIComponent(std)}`,
      `  didcomm://?_oob=${b64}\n`,
    ]) {
      const r = parseOobUrl(url);
      expect(r.kind === 'invitation' && r.invitation.id).toBe('i3');
    }
  });

  it('the _oobid short form is a typed needs-fetch result', () => {
    const url = encodeOobIdUrl('5f0e3ffb-3f92-4648-9868-0d6f8889e6f3', 'https://example.com/path');
    expect(url).toBe('https://example.com/path?_oobid=5f0e3ffb-3f92-4648-9868-0d6f8889e6f3');
    expect(parseOobUrl(url)).toEqual({ kind: 'fetch', oobid: '5f0e3ffb-3f92-4648-9868-0d6f8889e6f3', url });
    expectCode(() => parseOobUrl('didcomm://?_oobid=abc'), 'didcomm.invalid_oob');
    expectCode(() => parseOobUrl('https://x/?_oobid=a%20b'), 'didcomm.invalid_oob');
  });

  it('rejects what is not an invitation', () => {
    const b = (x: unknown) => base64urlEncode(utf8Encode(JSON.stringify(x)));
    const cases = [
      'https://x.example/path',
      'https://x.example/?_oob=***',
      'https://x.example/?_oob=%E0%A4%A',
      `https://x.example/?_oob=${b([1])}`,
      `https://x.example/?_oob=${b({ ...SPEC_INVITATION, type: 'https://didcomm.org/out-of-band/2.0/other' })}`,
      `https://x.example/?_oob=${b({ ...SPEC_INVITATION, from: undefined })}`,
      `https://x.example/?_oob=${b({ ...SPEC_INVITATION, body: { goal_code: 5 } })}`,
      `https://x.example/?_oob=${b({ ...SPEC_INVITATION, body: { accept: 'didcomm/v2' } })}`,
      `https://x.example/?_oob=${'A'.repeat(20000)}`,
      42 as unknown as string,
    ];
    for (const c of cases) expectCode(() => parseOobUrl(c), 'didcomm.invalid_oob');
    expectCode(() => createInvitation({ from: 'not a did' }), 'didcomm.invalid_oob');
    expectCode(() => encodeOobUrl(createInvitation({ from: 'did:example:a' }), 'relative/path'), 'didcomm.invalid_oob');
  });

  it('a base URL with a query gets &', () => {
    const inv = createInvitation({ id: 'i4', from: 'did:example:alice' });
    expect(encodeOobUrl(inv, 'https://x.example/p?lang=en')).toMatch(/^https:\/\/x\.example\/p\?lang=en&_oob=/);
    expect(encodeOobUrl(inv, 'https://x.example/p?')).toMatch(/^https:\/\/x\.example\/p\?_oob=/);
  });

  it('a device pairing invitation: did:peer:2 with a local endpoint, goal pair-device, a 32-byte attachment', () => {
    const device = generateDidPeer2({ serviceUri: 'http://192.168.1.23:8080/didcomm' });
    const secret = new Uint8Array(32).map((_, i) => i);
    const inv = createInvitation({ from: device.did, goalCode: PAIR_DEVICE_GOAL_CODE, attachments: [bytesAttachment('s', secret)] });
    const url = encodeOobUrl(inv, 'https://ssiot.example/p');
    const back = parseOobUrl(url);
    expect(back.kind).toBe('invitation');
    if (back.kind !== 'invitation') return;
    expect(back.invitation.body).toEqual({ goal_code: 'pair-device' });
    expect(attachmentBytes(back.invitation, 's')).toEqual(secret);
    expect(invitationResponseHeaders(back.invitation)).toEqual({ pthid: inv.id, to: [device.did] });
    expectCode(() => attachmentBytes(back.invitation, 'missing'), 'didcomm.invalid_attachment');
  });
});
