/**
 * did:webvh identifiers and the DID-to-HTTPS transformation (spec §Method-
 * Specific Identifier, §The DID to HTTPS Transformation), including the
 * parser attacks of the test suite's negative vectors with a well-formed
 * SCID (the vectors' `Qm000…` placeholder is not base58, so it would be
 * refused for that alone).
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../../tests/support/assert.ts';
import { didBaseUrl, didToHttpsUrl, didToWitnessUrl, parseWebvhDid, webvhDidFor } from './index.ts';

const SCID = 'QmfGEUAcMpzo25kF2Rhn8L5FAXysfGnkzjwdKoNPi615XQ';

describe('did:webvh DID-to-HTTPS transformation (spec examples)', () => {
  const cases: [string, string][] = [
    [`did:webvh:${SCID}:example.com`, 'https://example.com/.well-known/did.jsonl'],
    [`did:webvh:${SCID}:issuer.example.com`, 'https://issuer.example.com/.well-known/did.jsonl'],
    [`did:webvh:${SCID}:example.com:dids:issuer`, 'https://example.com/dids/issuer/did.jsonl'],
    [`did:webvh:${SCID}:example.com%3A3000:dids:issuer`, 'https://example.com:3000/dids/issuer/did.jsonl'],
    [`did:webvh:${SCID}:example.com%3a3000`, 'https://example.com:3000/.well-known/did.jsonl'],
    [`did:webvh:${SCID}:xn--jp-cd2fp15c.xn--fsq.jp:%E7%94%A8%E6%88%B7`, 'https://xn--jp-cd2fp15c.xn--fsq.jp/%E7%94%A8%E6%88%B7/did.jsonl'],
    [`did:webvh:${SCID}:Example.COM`, 'https://example.com/.well-known/did.jsonl'],
  ];
  for (const [did, url] of cases) {
    it(`${did.slice(57)} -> ${url}`, () => {
      expect(didToHttpsUrl(did)).toBe(url);
      expect(didToWitnessUrl(did)).toBe(url.replace(/did\.jsonl$/, 'did-witness.json'));
    });
  }

  it('separates query and fragment before transforming', () => {
    expect(didToHttpsUrl(`did:webvh:${SCID}:example.com:a?versionId=1-x#key-1`)).toBe('https://example.com/a/did.jsonl');
  });

  it('gives the base of the implicit #files / #whois services', () => {
    expect(didBaseUrl(`did:webvh:${SCID}:example.com`)).toBe('https://example.com/');
    expect(didBaseUrl(`did:webvh:${SCID}:example.com%3A8443:dids:issuer`)).toBe('https://example.com:8443/dids/issuer/');
  });

  it('parses the parts', () => {
    expect(parseWebvhDid(`did:webvh:${SCID}:example.com%3A3000:dids:a%20b`)).toEqual({
      did: `did:webvh:${SCID}:example.com%3A3000:dids:a%20b`,
      scid: SCID,
      host: 'example.com',
      port: 3000,
      path: ['dids', 'a b'],
    });
  });
});

describe('did:webvh DIDs that must be refused (invalidDid)', () => {
  const refused: [string, string][] = [
    ['path traversal', `${SCID}:example.com:..:..:admin`],
    ['dot segment', `${SCID}:example.com:.`],
    ['percent-encoded traversal', `${SCID}:example.com:%2E%2E:admin`],
    ['lower-case percent-encoded traversal', `${SCID}:example.com:%2e%2e:admin`],
    ['percent-encoded slash in a segment', `${SCID}:example.com:a%2Fb`],
    ['backslash in a segment', `${SCID}:example.com:a%5Cb`],
    ['NUL in a segment', `${SCID}:example.com:a%00b`],
    ['segment with leading whitespace', `${SCID}:example.com:%20a`],
    ['empty segment', `${SCID}:example.com::a`],
    ['IPv4 host', `${SCID}:127.0.0.1`],
    ['percent-encoded IPv4 host', `${SCID}:127%2E0%2E0%2E1`],
    ['lower-case percent-encoded IPv4 host', `${SCID}:127%2e0%2e0%2e1`],
    ['cloud metadata address', `${SCID}:169%2E254%2E169%2E254`],
    ['IPv4 behind a lower-case port separator', `${SCID}:127.0.0.1%3a8080`],
    ['short IPv4 form', `${SCID}:127.1`],
    ['hex IPv4 form', `${SCID}:0x7f.0.0.1`],
    ['single-label host', `${SCID}:localhost`],
    ['port 0', `${SCID}:example.com%3A0`],
    ['port 65536', `${SCID}:example.com%3A65536`],
    ['two port separators', `${SCID}:example.com%3A80%3A81`],
    ['colon inside the domain', `${SCID}:exa%3Ample.com`],
    ['slash in the domain', `${SCID}:example.com%2Fevil.org`],
    ['label ending with a hyphen', `${SCID}:example-.com`],
    ['internationalized domain (not IDNA-processed)', `${SCID}:%E4%BE%8B.jp`],
    ['invalid UTF-8 percent-encoding', `${SCID}:example.com:%FF`],
    ['SCID of the wrong length', 'QmShort:example.com'],
    ['SCID with a non-base58 character', `${SCID.slice(0, -1)}0:example.com`],
    ['no domain', SCID],
  ];
  for (const [name, id] of refused) {
    it(name, () => {
      expectCode(() => parseWebvhDid(`did:webvh:${id}`), 'did.webvh_invalid_did');
      expectCode(() => didToHttpsUrl(`did:webvh:${id}`), 'did.webvh_invalid_did');
    });
  }

  it('a fragment never leaks into the host', () => {
    expectCode(() => didToHttpsUrl(`did:webvh:${SCID}:127.0.0.1#x`), 'did.webvh_invalid_did');
    expect(didToHttpsUrl(`did:webvh:${SCID}:example.com#127.0.0.1`)).toBe('https://example.com/.well-known/did.jsonl');
  });

  it('a DID URL path is not part of the DID', () => {
    expectCode(() => didToHttpsUrl(`did:webvh:${SCID}:example.com/whois`), 'did.webvh_invalid_did');
  });

  it('other methods are refused', () => {
    expectCode(() => parseWebvhDid(`did:web:example.com`), 'did.webvh_invalid_did');
  });
});

describe('webvhDidFor (the DID a controller publishes)', () => {
  it('encodes port and path', () => {
    expect(webvhDidFor('example.com:3000', 'dids/issuer')).toBe('did:webvh:{SCID}:example.com%3A3000:dids:issuer');
    expect(webvhDidFor('example.com', ['a b', 'x~y'])).toBe('did:webvh:{SCID}:example.com:a%20b:x%7Ey');
    expect(webvhDidFor('example.com', [], SCID)).toBe(`did:webvh:${SCID}:example.com`);
  });

  it('round-trips through parsing', () => {
    const did = webvhDidFor('Example.com:8443', ['用户', 'a.b'], SCID);
    expect(parseWebvhDid(did).path).toEqual(['用户', 'a.b']);
    expect(didToHttpsUrl(did)).toBe('https://example.com:8443/%E7%94%A8%E6%88%B7/a.b/did.jsonl');
  });
});
