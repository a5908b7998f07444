import { describe, it, expect } from 'vitest';
import { expectCode, expectCodeAsync } from '../../../tests/support/assert.ts';
import { getCrypto } from '../../crypto/index.ts';
import { createDidKey, didKeyFromPublicKey } from '../../did/key.ts';
import { base64urlDecode, base64urlEncode } from '../../encoding/base64url.ts';
import { utf8Decode, utf8Encode } from '../../encoding/bytes.ts';
import {
  BROKER_TOKEN_TYP,
  brokerTokenAcceptedUntil,
  createBrokerToken,
  MAX_BROKER_TOKEN_LIFETIME_SECONDS,
  verifyBrokerToken,
} from './mqtt-auth.ts';

const AUD = 'did:webvh:QmExample:manufacturer.example';
/** 2026-01-01T00:00:00Z in epoch milliseconds / seconds. */
const T0 = 1767225600000;
const S0 = T0 / 1000;

function device(fill: number): { did: string; seed: Uint8Array; sign: (b: Uint8Array) => Uint8Array } {
  const seed = new Uint8Array(32).fill(fill);
  const { did } = createDidKey({ seed });
  return { did, seed, sign: (b) => getCrypto().ed25519Sign(b, seed) };
}

const A = device(1);
const B = device(2);

const b64json = (x: unknown): string => base64urlEncode(utf8Encode(JSON.stringify(x)));

/** A token with any header and claims, signed with `seed` (to test what createBrokerToken would never make). */
function craft(header: Record<string, unknown>, claims: Record<string, unknown>, seed: Uint8Array): string {
  const input = `${b64json(header)}.${b64json(claims)}`;
  return `${input}.${base64urlEncode(getCrypto().ed25519Sign(utf8Encode(input), seed))}`;
}

const goodHeader = (did: string): Record<string, unknown> => ({ alg: 'EdDSA', typ: BROKER_TOKEN_TYP, kid: `${did}#${did.slice(8)}` });
const goodClaims = (did: string): Record<string, unknown> => ({ iss: did, aud: AUD, iat: S0, exp: S0 + 300, jti: 'abcdefghijklmnopqrstuv' });

describe('broker token (device -> broker CONNECT password)', () => {
  it('round trip: an EdDSA compact JWS with typ, kid and the five claims', async () => {
    const token = await createBrokerToken({ did: A.did, sign: A.sign, audience: AUD, now: T0 + 999, ttlSeconds: 120 });
    const parts = token.split('.');
    expect(parts).toHaveLength(3);
    expect(JSON.parse(utf8Decode(base64urlDecode(parts[0])))).toEqual({ alg: 'EdDSA', typ: 'ssiot-broker+jwt', kid: `${A.did}#${A.did.slice(8)}` });
    const claims = verifyBrokerToken(token, { audience: AUD, now: T0 + 5000 });
    expect(claims).toMatchObject({ iss: A.did, aud: AUD, iat: S0, exp: S0 + 120 });
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(brokerTokenAcceptedUntil(claims, 300)).toBe(S0 + 420);
  });

  it('every token gets a fresh random jti', async () => {
    const t1 = verifyBrokerToken(await createBrokerToken({ did: A.did, sign: A.sign, audience: AUD, now: T0 }), { audience: AUD, now: T0 });
    const t2 = verifyBrokerToken(await createBrokerToken({ did: A.did, sign: A.sign, audience: AUD, now: T0 }), { audience: AUD, now: T0 });
    expect(t1.jti).not.toBe(t2.jti);
  });

  it('an asynchronous signer (secure element, wallet) works', async () => {
    const token = await createBrokerToken({ did: B.did, sign: async (b) => B.sign(b), audience: AUD, now: T0 });
    expect(verifyBrokerToken(token, { audience: AUD, now: T0 }).iss).toBe(B.did);
  });

  it('refuses to make tokens for non-Ed25519 or non-did:key DIDs, over-long lifetimes, or bad signatures', async () => {
    const p256 = didKeyFromPublicKey({ kind: 'P-256', bytes: getCrypto().p256PublicKey(new Uint8Array(32).fill(7)) });
    for (const did of ['did:example:alice', p256, 'not a did', 'did:key:zzz']) {
      await expectCodeAsync(() => createBrokerToken({ did, sign: A.sign, audience: AUD, now: T0 }), 'broker.invalid_argument');
    }
    for (const ttlSeconds of [0, MAX_BROKER_TOKEN_LIFETIME_SECONDS + 1, 1.5]) {
      await expectCodeAsync(() => createBrokerToken({ did: A.did, sign: A.sign, audience: AUD, now: T0, ttlSeconds }), 'broker.invalid_argument');
    }
    await expectCodeAsync(() => createBrokerToken({ did: A.did, sign: A.sign, audience: '', now: T0 }), 'broker.invalid_argument');
    await expectCodeAsync(() => createBrokerToken({ did: A.did, sign: () => new Uint8Array(10), audience: AUD, now: T0 }), 'broker.invalid_argument');
    const ok = await createBrokerToken({ did: A.did, sign: A.sign, audience: AUD, now: T0, ttlSeconds: MAX_BROKER_TOKEN_LIFETIME_SECONDS });
    expect(verifyBrokerToken(ok, { audience: AUD, now: T0 }).exp).toBe(S0 + 600);
  });

  it('time window: the skew is tolerated both ways, no more', async () => {
    const token = craft(goodHeader(A.did), goodClaims(A.did), A.seed); // iat S0, exp S0+300
    // device clock ahead by up to the skew: iat in our future
    expect(verifyBrokerToken(token, { audience: AUD, now: (S0 - 300) * 1000 }).iss).toBe(A.did);
    expectCode(() => verifyBrokerToken(token, { audience: AUD, now: (S0 - 301) * 1000 }), 'broker.not_yet_valid');
    // past exp, within the skew; then beyond it
    expect(verifyBrokerToken(token, { audience: AUD, now: (S0 + 600) * 1000 + 999 }).iss).toBe(A.did);
    expectCode(() => verifyBrokerToken(token, { audience: AUD, now: (S0 + 601) * 1000 }), 'broker.expired');
    // a strict verifier
    expectCode(() => verifyBrokerToken(token, { audience: AUD, now: (S0 + 301) * 1000, maxSkewSeconds: 0 }), 'broker.expired');
    // a device whose clock was never set (1970)
    const stale = await createBrokerToken({ did: A.did, sign: A.sign, audience: AUD, now: 5000 });
    expectCode(() => verifyBrokerToken(stale, { audience: AUD, now: T0 }), 'broker.expired');
  });

  it('wrong audience is refused; an aud array containing ours is accepted', () => {
    const token = craft(goodHeader(A.did), goodClaims(A.did), A.seed);
    expectCode(() => verifyBrokerToken(token, { audience: 'did:web:other.example', now: T0 }), 'broker.wrong_audience');
    const arr = craft(goodHeader(A.did), { ...goodClaims(A.did), aud: ['x', AUD] }, A.seed);
    expect(verifyBrokerToken(arr, { audience: AUD, now: T0 }).aud).toBe(AUD);
    const other = craft(goodHeader(A.did), { ...goodClaims(A.did), aud: ['x'] }, A.seed);
    expectCode(() => verifyBrokerToken(other, { audience: AUD, now: T0 }), 'broker.wrong_audience');
  });

  it('a token naming A but signed by B, or altered after signing, has a bad signature', () => {
    expectCode(() => verifyBrokerToken(craft({ alg: 'EdDSA', typ: BROKER_TOKEN_TYP }, goodClaims(A.did), B.seed), { audience: AUD, now: T0 }), 'broker.bad_signature');
    const token = craft(goodHeader(A.did), goodClaims(A.did), A.seed);
    const [h, , s] = token.split('.');
    const altered = `${h}.${b64json({ ...goodClaims(A.did), exp: S0 + 600 })}.${s}`;
    expectCode(() => verifyBrokerToken(altered, { audience: AUD, now: T0 }), 'broker.bad_signature');
    const swapped = `${h}.${b64json(goodClaims(B.did))}.${s}`;
    expectCode(() => verifyBrokerToken(swapped, { audience: AUD, now: T0 }), 'broker.invalid_token'); // kid names A, iss is B
  });

  it('malformed tokens, other algorithms, untyped JWS and bad claims are invalid_token', () => {
    const good = craft(goodHeader(A.did), goodClaims(A.did), A.seed);
    const bad: string[] = [
      '',
      'a.b',
      'a.b.c.d',
      `${good}x`.replace(/\.[^.]*$/, '.!!!'),
      `${b64json('x')}.${good.split('.')[1]}.${good.split('.')[2]}`,
      'x'.repeat(3000),
      craft({ alg: 'none', typ: BROKER_TOKEN_TYP }, goodClaims(A.did), A.seed),
      craft({ alg: 'ES256', typ: BROKER_TOKEN_TYP }, goodClaims(A.did), A.seed),
      craft({ alg: 'EdDSA' }, goodClaims(A.did), A.seed), // no typ: e.g. a firmware status report
      craft({ alg: 'EdDSA', typ: 'JWT' }, goodClaims(A.did), A.seed),
      craft({ ...goodHeader(A.did), crit: ['exp'] }, goodClaims(A.did), A.seed),
      craft(goodHeader(A.did), { ...goodClaims(A.did), iss: 'did:example:alice' }, A.seed),
      craft(goodHeader(A.did), { ...goodClaims(A.did), exp: S0 + MAX_BROKER_TOKEN_LIFETIME_SECONDS + 1 }, A.seed),
      craft(goodHeader(A.did), { ...goodClaims(A.did), exp: S0 }, A.seed),
      craft(goodHeader(A.did), { ...goodClaims(A.did), iat: '2026-01-01' }, A.seed),
      craft(goodHeader(A.did), { ...goodClaims(A.did), jti: 'short' }, A.seed),
      craft(goodHeader(A.did), { ...goodClaims(A.did), jti: undefined }, A.seed),
    ];
    for (const t of bad) expectCode(() => verifyBrokerToken(t, { audience: AUD, now: T0 }), 'broker.invalid_token');
    expectCode(() => verifyBrokerToken(42 as unknown as string, { audience: AUD, now: T0 }), 'broker.invalid_token');
  });

  it("the verifier's own options are checked", () => {
    const token = craft(goodHeader(A.did), goodClaims(A.did), A.seed);
    for (const maxSkewSeconds of [-1, 3601, 0.5]) expectCode(() => verifyBrokerToken(token, { audience: AUD, now: T0, maxSkewSeconds }), 'broker.invalid_argument');
    expectCode(() => verifyBrokerToken(token, { audience: '', now: T0 }), 'broker.invalid_argument');
    expectCode(() => verifyBrokerToken(token, { audience: AUD, now: Number.NaN }), 'broker.invalid_argument');
  });
});
