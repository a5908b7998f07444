import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { absoluteDidUrl, isDid, parseDid, parseDidUrl } from './did-url.ts';

describe('parseDid', () => {
  it('splits valid DIDs into method and method-specific id', () => {
    expect(parseDid('did:example:123456789abcdefghi')).toEqual({
      did: 'did:example:123456789abcdefghi',
      method: 'example',
      id: '123456789abcdefghi',
    });
    expect(parseDid('did:web:example.com%3A8080').id).toBe('example.com%3A8080');
    expect(parseDid('did:webvh:QmSCID:example.com:dids:alice').id).toBe('QmSCID:example.com:dids:alice');
    expect(parseDid('did:example:a::b').id).toBe('a::b');
    expect(parseDid('did:m2:x_y-z.w').method).toBe('m2');
  });

  it('rejects malformed DIDs with did.invalid', () => {
    const bad = [
      '',
      'did',
      'did:',
      'did:example',
      'did:example:',
      'did::123',
      'DID:example:123',
      'did:Example:123',
      'did:exa_mple:123',
      'did:example:abc:',
      'did:example:a b',
      'did:example:%zz',
      'did:example:%4',
      'did:example:\u00e4',
      'did:example:123#frag',
      'did:example:123/path',
      ' did:example:123',
    ];
    for (const s of bad) expectCode(() => parseDid(s), 'did.invalid');
    expectCode(() => parseDid(42 as unknown as string), 'did.invalid');
  });

  it('isDid agrees with parseDid', () => {
    expect(isDid('did:key:z6Mk')).toBe(true);
    expect(isDid('did:Key:z6Mk')).toBe(false);
    expect(isDid(null)).toBe(false);
  });
});

describe('parseDidUrl', () => {
  it('splits path, query and fragment', () => {
    const u = parseDidUrl('did:example:123/path/to?versionId=1&x=%20#key-1');
    expect(u.did).toBe('did:example:123');
    expect(u.method).toBe('example');
    expect(u.id).toBe('123');
    expect(u.path).toBe('/path/to');
    expect(u.query).toBe('versionId=1&x=%20');
    expect(u.fragment).toBe('key-1');
    expect(u.didUrl).toBe('did:example:123/path/to?versionId=1&x=%20#key-1');
  });

  it('distinguishes absent from empty parts', () => {
    const a = parseDidUrl('did:example:123');
    expect(a.path).toBe('');
    expect(a.query).toBeUndefined();
    expect(a.fragment).toBeUndefined();
    const b = parseDidUrl('did:example:123?#');
    expect(b.query).toBe('');
    expect(b.fragment).toBe('');
  });

  it('keeps did:key fragments and did:peer:2 ids intact', () => {
    const did = 'did:peer:2.Vz6Mkj3PUd1WjvaDhNZhhhXQdz5UnZXmS7ehtx8bsPpD47kKc.SeyJ0IjoiZG0ifQ';
    const u = parseDidUrl(`${did}#key-1`);
    expect(u.did).toBe(did);
    expect(u.fragment).toBe('key-1');
  });

  it('rejects malformed DID URLs with did.invalid', () => {
    const bad = [
      '#key-1',
      'did:example:123#a b',
      'did:example:123#a#b',
      'did:example:123/pa th',
      'did:example:123?q=%x1',
      'did:EXAMPLE:123#k',
      'https://example.com/#k',
    ];
    for (const s of bad) expectCode(() => parseDidUrl(s), 'did.invalid');
  });
});

describe('absoluteDidUrl', () => {
  it('resolves relative fragments against the DID and keeps absolute ones', () => {
    expect(absoluteDidUrl('did:example:1', '#key-1')).toBe('did:example:1#key-1');
    expect(absoluteDidUrl('did:example:1', 'did:other:2#k')).toBe('did:other:2#k');
  });

  it('rejects references that are neither', () => {
    expectCode(() => absoluteDidUrl('did:example:1', 'key-1'), 'did.invalid');
    expectCode(() => absoluteDidUrl('did:example:1', ''), 'did.invalid');
    expectCode(() => absoluteDidUrl('did:example:1', '#a b'), 'did.invalid');
  });
});
