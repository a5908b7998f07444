/** Plaintext message validation and ids. */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { didOf, isKeyId, newMessageId, normalizeMediaType, validatePlaintext } from './message.ts';

const base = () => ({ id: '1', type: 'https://didcomm.org/trust_ping/2.0/ping', body: {} });

describe('validatePlaintext', () => {
  it('accepts the spec\'s C.1 example and every header it defines', () => {
    const m = readVectorJson('didcomm/plaintext.json');
    expect(validatePlaintext(m)).toBe(m);
    const full = {
      ...base(),
      typ: 'didcomm-plain+json',
      from: 'did:example:alice',
      to: ['did:example:bob', 'did:example:carol/path'],
      thid: 't',
      pthid: 'p',
      created_time: 1,
      expires_time: 2,
      custom_header: { anything: true },
      attachments: [
        { id: 'a-1', description: 'd', filename: 'f.txt', media_type: 'text/plain', format: 'x', lastmod_time: 5, byte_count: 3, data: { base64: 'YWJj' } },
        { data: { links: ['https://example.com/x'], hash: 'zQm...' } },
        { data: { json: { any: 'thing' } } },
      ],
    };
    expect(validatePlaintext(full).custom_header).toEqual({ anything: true });
  });

  it('fills an absent body with {} (v2.0 compatibility), keeps a present one', () => {
    const m = validatePlaintext({ id: 'x', type: 'y' });
    expect(m.body).toEqual({});
  });

  it('refuses what the spec forbids, with didcomm.invalid_message', () => {
    const bad: unknown[] = [
      null,
      [],
      'x',
      { ...base(), id: '' },
      { ...base(), id: 7 },
      { ...base(), type: undefined },
      { ...base(), typ: 'application/didcomm-encrypted+json' },
      { ...base(), from: 'did:example:alice#key-1' },
      { ...base(), from: 'alice' },
      { ...base(), to: 'did:example:bob' },
      { ...base(), to: ['did:example:bob#k'] },
      { ...base(), thid: 5 },
      { ...base(), created_time: 1.5 },
      { ...base(), expires_time: '2030' },
      { ...base(), body: 'text' },
      { ...base(), attachments: {} },
      { ...base(), attachments: [{}] },
      { ...base(), attachments: [{ data: {} }] },
      { ...base(), attachments: [{ id: 'has space', data: { json: 1 } }] },
      { ...base(), attachments: [{ data: { links: ['https://x'] } }] },
      { ...base(), attachments: [{ byte_count: -1, data: { json: 1 } }] },
    ];
    for (const m of bad) expectCode(() => validatePlaintext(m), 'didcomm.invalid_message');
  });
});

describe('helpers', () => {
  it('newMessageId gives distinct RFC 4122 version 4 UUIDs', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const id = newMessageId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(50);
  });

  it('media types, DIDs of key ids', () => {
    expect(normalizeMediaType('didcomm-signed+json')).toBe('application/didcomm-signed+json');
    expect(normalizeMediaType('application/didcomm-plain+json')).toBe('application/didcomm-plain+json');
    expect(didOf('did:example:alice#key-1')).toBe('did:example:alice');
    expect(isKeyId('did:example:alice#key-1')).toBe(true);
    expect(isKeyId('did:example:alice')).toBe(false);
    expectCode(() => didOf('not a did'), 'didcomm.malformed');
  });
});
