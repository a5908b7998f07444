import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import {
  CREDENTIALS_V2_CONTEXT,
  checkValidityPeriod,
  credentialShapeProblems,
  validateCredentialShape,
  type VerifiableCredential,
} from './credential.ts';
import { formatDateTimeStamp, isDateTimeStamp, parseDateTimeStamp } from './datetime.ts';

const base = (): Record<string, unknown> => ({
  '@context': [CREDENTIALS_V2_CONTEXT, 'https://www.w3.org/ns/credentials/examples/v2'],
  id: 'urn:uuid:7a1f3c2e-0000-4000-8000-000000000001',
  type: ['VerifiableCredential', 'ExampleCredential'],
  issuer: 'did:example:issuer',
  validFrom: '2025-01-01T00:00:00Z',
  validUntil: '2030-01-01T00:00:00Z',
  credentialSubject: { id: 'did:example:subject', name: 'x' },
});

function codes(value: unknown): string[] {
  return credentialShapeProblems(value).map((p) => p.code);
}

describe('dateTimeStamp', () => {
  it('accepts the forms of the VC DM 2.0 regex', () => {
    for (const v of [
      '2023-01-01T00:00:00Z',
      '2023-01-01T00:00:00.123Z',
      '2023-01-01T00:00:00+14:00',
      '2023-01-01T00:00:00-08:00',
      '2024-02-29T23:59:59Z',
      '2023-12-31T24:00:00Z',
      '12023-01-01T00:00:00Z',
    ]) {
      expect(isDateTimeStamp(v), v).toBe(true);
    }
  });

  it('rejects values without timezone, impossible dates and other formats', () => {
    for (const v of [
      '2023-01-01T00:00:00',
      '2023-01-01',
      '2023-01-01t00:00:00Z',
      '2023-01-01 00:00:00Z',
      '2023-13-01T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2023-04-31T00:00:00Z',
      '2023-01-01T25:00:00Z',
      '2023-01-01T00:60:00Z',
      '2023-01-01T00:00:00+15:00',
      '2023-01-01T00:00:00+0100',
      '23-01-01T00:00:00Z',
      '',
      20230101,
      null,
    ]) {
      expect(isDateTimeStamp(v), String(v)).toBe(false);
    }
  });

  it('applies offsets and end-of-day 24:00', () => {
    expect(parseDateTimeStamp('2023-01-01T01:30:00+01:30')).toBe(Date.UTC(2023, 0, 1, 0, 0, 0));
    expect(parseDateTimeStamp('2022-12-31T19:00:00-05:00')).toBe(Date.UTC(2023, 0, 1, 0, 0, 0));
    expect(parseDateTimeStamp('2023-12-31T24:00:00Z')).toBe(Date.UTC(2024, 0, 1));
    expect(parseDateTimeStamp('2023-01-01T00:00:00.5Z')).toBe(Date.UTC(2023, 0, 1) + 500);
    expect(parseDateTimeStamp('0099-01-01T00:00:00Z')).toBe(new Date('0099-01-01T00:00:00Z').getTime());
  });

  it('formats at second precision, keeping non-zero milliseconds', () => {
    expect(formatDateTimeStamp(new Date(Date.UTC(2023, 1, 24, 23, 36, 38)))).toBe('2023-02-24T23:36:38Z');
    expect(formatDateTimeStamp(new Date(Date.UTC(2023, 1, 24, 23, 36, 38, 7)))).toBe('2023-02-24T23:36:38.007Z');
    expectCode(() => formatDateTimeStamp(new Date(NaN)), 'vc.invalid_datetime');
  });
});

describe('credential shape (VC DM 2.0)', () => {
  it('accepts a conforming credential and issuer/subject variants', () => {
    expect(codes(base())).toEqual([]);
    expect(codes({ ...base(), issuer: { id: 'https://issuer.example/', name: 'Issuer' } })).toEqual([]);
    expect(codes({ ...base(), credentialSubject: [{ id: 'did:example:a' }, { name: 'b' }] })).toEqual([]);
    expect(codes({ ...base(), type: 'VerifiableCredential' })).toEqual([]);
    expect(codes({ ...base(), '@context': CREDENTIALS_V2_CONTEXT })).toEqual([]);
    expect(codes({ ...base(), '@context': [CREDENTIALS_V2_CONTEXT, { ex: 'https://example.org/#' }] })).toEqual([]);
    const { validFrom: _f, validUntil: _u, id: _i, ...minimal } = base();
    expect(codes(minimal)).toEqual([]);
    validateCredentialShape(base());
  });

  it('rejects non-objects', () => {
    for (const v of [null, 1, 'x', [], [base()], undefined]) {
      expect(codes(v)).toEqual(['vc.invalid_json']);
      expectCode(() => validateCredentialShape(v), 'vc.invalid_json');
    }
  });

  const cases: Array<[string, (c: Record<string, unknown>) => void, string]> = [
    ['missing @context', (c) => delete c['@context'], 'vc.invalid_context'],
    ['wrong first @context', (c) => (c['@context'] = ['https://www.w3.org/2018/credentials/v1']), 'vc.invalid_context'],
    ['v2 context not first', (c) => (c['@context'] = ['https://example.org/ctx', CREDENTIALS_V2_CONTEXT]), 'vc.invalid_context'],
    ['empty @context', (c) => (c['@context'] = []), 'vc.invalid_context'],
    ['bad @context entry', (c) => (c['@context'] = [CREDENTIALS_V2_CONTEXT, 42]), 'vc.invalid_context'],
    ['id not a URL', (c) => (c.id = 'not a url'), 'vc.invalid_id'],
    ['missing type', (c) => delete c.type, 'vc.invalid_type'],
    ['type without VerifiableCredential', (c) => (c.type = ['ExampleCredential']), 'vc.invalid_type'],
    ['empty type', (c) => (c.type = []), 'vc.invalid_type'],
    ['type not strings', (c) => (c.type = ['VerifiableCredential', 3]), 'vc.invalid_type'],
    ['issuer missing', (c) => delete c.issuer, 'vc.invalid_issuer'],
    ['issuer not a URL', (c) => (c.issuer = 'issuer'), 'vc.invalid_issuer'],
    ['issuer object without id', (c) => (c.issuer = { name: 'x' }), 'vc.invalid_issuer'],
    ['issuer a number', (c) => (c.issuer = 7), 'vc.invalid_issuer'],
    ['subject missing', (c) => delete c.credentialSubject, 'vc.invalid_subject'],
    ['subject empty array', (c) => (c.credentialSubject = []), 'vc.invalid_subject'],
    ['subject empty object', (c) => (c.credentialSubject = {}), 'vc.invalid_subject'],
    ['subject a string', (c) => (c.credentialSubject = 'did:example:x'), 'vc.invalid_subject'],
    ['subject id not a URL', (c) => (c.credentialSubject = { id: 'bob' }), 'vc.invalid_subject'],
    ['validFrom without timezone', (c) => (c.validFrom = '2025-01-01T00:00:00'), 'vc.invalid_datetime'],
    ['validFrom date only', (c) => (c.validFrom = '2025-01-01'), 'vc.invalid_datetime'],
    ['validUntil impossible date', (c) => (c.validUntil = '2030-02-30T00:00:00Z'), 'vc.invalid_datetime'],
    ['validUntil a number', (c) => (c.validUntil = 1893456000), 'vc.invalid_datetime'],
    ['validUntil before validFrom', (c) => (c.validUntil = '2024-12-31T23:59:59Z'), 'vc.invalid_validity_period'],
    ['status without type', (c) => (c.credentialStatus = { id: 'https://status.example/1#3' }), 'vc.invalid_status'],
    ['status empty array', (c) => (c.credentialStatus = []), 'vc.invalid_status'],
    ['status id not a URL', (c) => (c.credentialStatus = { id: 'x', type: 'BitstringStatusListEntry' }), 'vc.invalid_status'],
  ];
  for (const [name, mutate, code] of cases) {
    it(`rejects: ${name}`, () => {
      const c = base();
      mutate(c);
      expect(codes(c)).toEqual([code]);
      expectCode(() => validateCredentialShape(c), code);
    });
  }

  it('reports every problem, in document order', () => {
    const c = base();
    delete c['@context'];
    delete c.issuer;
    c.validFrom = 'soon';
    expect(codes(c)).toEqual(['vc.invalid_context', 'vc.invalid_issuer', 'vc.invalid_datetime']);
  });
});

describe('validity period', () => {
  const c = base() as VerifiableCredential;
  it('is valid inside the window and at both bounds', () => {
    checkValidityPeriod(c, new Date('2027-01-01T00:00:00Z'));
    checkValidityPeriod(c, new Date('2025-01-01T00:00:00Z'));
    checkValidityPeriod(c, new Date('2030-01-01T00:00:00Z'));
  });
  it('is not yet valid before validFrom and expired after validUntil', () => {
    expectCode(() => checkValidityPeriod(c, new Date('2024-12-31T23:59:59.999Z')), 'vc.not_yet_valid');
    expectCode(() => checkValidityPeriod(c, new Date('2030-01-01T00:00:00.001Z')), 'vc.expired');
  });
  it('honours timezone offsets', () => {
    const d = { ...c, validFrom: '2025-01-01T09:00:00+09:00' } as VerifiableCredential;
    checkValidityPeriod(d, new Date('2025-01-01T00:00:00Z'));
    expectCode(() => checkValidityPeriod(d, new Date('2024-12-31T23:59:59Z')), 'vc.not_yet_valid');
  });
  it('without validFrom/validUntil any time is valid; a bad clock is refused', () => {
    const { validFrom: _f, validUntil: _u, ...open } = c;
    checkValidityPeriod(open as VerifiableCredential, new Date(0));
    expectCode(() => checkValidityPeriod(c, new Date(NaN)), 'vc.invalid_datetime');
  });
});
