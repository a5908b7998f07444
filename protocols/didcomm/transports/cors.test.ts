import { describe, expect, it } from 'vitest';
import { corsPreflight, corsResponseHeaders, parseCorsOrigins } from './cors.ts';

describe('CORS for DIDComm reply endpoints', () => {
  it('reads the setting: empty is none, * is any origin, else a comma list', () => {
    expect(parseCorsOrigins('')).toBeUndefined();
    expect(parseCorsOrigins('  ')).toBeUndefined();
    expect(parseCorsOrigins('*')).toEqual({ origins: '*' });
    expect(parseCorsOrigins('http://a.test, http://b.test:8080,')).toEqual({ origins: ['http://a.test', 'http://b.test:8080'] });
  });

  it('echoes an allowed origin (with Vary), says * for any, and names no other origin', () => {
    const list = { origins: ['http://a.test'] };
    expect(corsResponseHeaders(list, 'http://a.test')).toEqual([
      ['access-control-allow-origin', 'http://a.test'],
      ['vary', 'Origin'],
    ]);
    expect(corsResponseHeaders(list, 'http://evil.test')).toEqual([['vary', 'Origin']]);
    expect(corsResponseHeaders(list, undefined)).toEqual([['vary', 'Origin']]);
    expect(corsResponseHeaders({ origins: '*' }, 'http://any.test')).toEqual([['access-control-allow-origin', '*']]);
  });

  it('answers a preflight with 204 and the POST allowance, or 403 for an origin not allowed', () => {
    const ok = corsPreflight({ origins: ['http://a.test'], maxAgeSeconds: 60 }, 'http://a.test');
    expect(ok.status).toBe(204);
    expect(ok.headers).toEqual([
      ['access-control-allow-methods', 'POST'],
      ['access-control-allow-headers', 'content-type'],
      ['access-control-max-age', '60'],
    ]);
    expect(corsPreflight({ origins: ['http://a.test'] }, 'http://b.test')).toEqual({ status: 403, headers: [] });
    expect(corsPreflight({ origins: '*' }, undefined).status).toBe(204);
  });
});
