/**
 * Bitstring Status List v1.0: bit order, multi-bit entries, encodedList
 * round trips and published examples, the GZIP defences (zip bombs, bad
 * trailers, concatenated members), and the Validate Algorithm end to end
 * through verifyCredential: revoked, suspended, status messages, and every
 * way a status list must be refused (another issuer, tampered list, wrong
 * purpose, expired, unreachable, too short, out of range).
 */
import { describe, expect, it } from 'vitest';
import { expectCode, expectCodeAsync } from '../../tests/support/assert.ts';
import { createDidKey } from '../did/key.ts';
import { createDefaultResolver } from '../did/resolver.ts';
import { base64urlDecode, base64urlEncode } from '../encoding/base64url.ts';
import { concatBytes } from '../encoding/bytes.ts';
import type { VerifiableCredential } from './credential.ts';
import { addProof } from './data-integrity.ts';
import { crc32, gunzip, gzip } from './gzip.ts';
import { issueCredential } from './issue.ts';
import { ed25519Signer, type Signer } from './signer.ts';
import {
  STATUS_LIST_MAX_BYTES,
  STATUS_LIST_MIN_ENTRIES,
  checkCredentialStatus,
  createStatusList,
  decodeStatusList,
  encodeStatusList,
  getStatus,
  parseStatusEntry,
  randomStatusIndex,
  setStatus,
  statusListCredential,
  statusListEntry,
  type StatusList,
  type StatusMessage,
} from './status-list.ts';
import { verifyCredential } from './verify.ts';

function party(n: number): { did: string; signer: Signer } {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + n) & 0xff);
  const { did } = createDidKey({ seed });
  return { did, signer: ed25519Signer(`${did}#${did.slice('did:key:'.length)}`, seed) };
}

const A = party(11); // issuer of credentials and of their status lists
const B = party(12); // someone else
const resolver = createDefaultResolver();
const NOW = new Date('2026-06-01T00:00:00Z');
const CREATED = '2026-01-01T00:00:00Z';
const L1 = 'https://device.example/status/1';
const L2 = 'https://device.example/status/2';

function bytes(encodedList: string): Uint8Array {
  return base64urlDecode(encodedList.slice(1));
}

function u(b: Uint8Array): string {
  return 'u' + base64urlEncode(b);
}

function setBits(list: StatusList): number[] {
  const out: number[] = [];
  list.bits.forEach((b, i) => {
    for (let k = 0; k < 8; k++) if (b & (0x80 >> k)) out.push(i * 8 + k);
  });
  return out;
}

let bombCache: Uint8Array | undefined;
/** GZIP of 1 MiB + 1 zero bytes (~1 KiB): one byte over the default limit. Built once (slow in XS). */
function bomb(): Uint8Array {
  bombCache ??= gzip(new Uint8Array(STATUS_LIST_MAX_BYTES + 1));
  return bombCache;
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

describe('the bitstring', () => {
  it('is 131,072 one-bit entries (16 KiB) of zeros by default', () => {
    const list = createStatusList();
    expect(list.length).toBe(STATUS_LIST_MIN_ENTRIES);
    expect(list.length).toBe(131072);
    expect(list.statusSize).toBe(1);
    expect(list.bits).toHaveLength(16384);
    expect(setBits(list)).toEqual([]);
  });

  it('puts index 0 at the left-most (most significant) bit of the first byte', () => {
    const list = createStatusList();
    setStatus(list, 0, true);
    expect(list.bits[0]).toBe(0x80);
    setStatus(list, 7, true);
    expect(list.bits[0]).toBe(0x81);
    setStatus(list, 8, true);
    expect(list.bits[1]).toBe(0x80);
    setStatus(list, 131071, true);
    expect(list.bits[16383]).toBe(0x01);
    expect(setBits(list)).toEqual([0, 7, 8, 131071]);
    expect(getStatus(list, 0)).toBe(1);
    expect(getStatus(list, 1)).toBe(0);
    expect(getStatus(list, 131071)).toBe(1);
    setStatus(list, 7, false);
    expect(list.bits[0]).toBe(0x80);
    expect(getStatus(list, 7)).toBe(0);
    setStatus(list, 0, 0);
    setStatus(list, 8, 1);
    expect(setBits(list)).toEqual([8, 131071]);
  });

  it('stores multi-bit entries at index * statusSize, most significant bit first', () => {
    const two = createStatusList({ statusSize: 2 });
    expect(two.bits).toHaveLength(32768);
    setStatus(two, 0, 3);
    expect(two.bits[0]).toBe(0b11000000);
    setStatus(two, 1, 1);
    expect(two.bits[0]).toBe(0b11010000);
    setStatus(two, 3, 2);
    expect(two.bits[0]).toBe(0b11010010);
    expect([0, 1, 2, 3].map((i) => getStatus(two, i))).toEqual([3, 1, 0, 2]);
    setStatus(two, 0, 1);
    expect(two.bits[0]).toBe(0b01010010);

    // 3-bit entries straddle bytes: index 2 is bits 6, 7 and 8
    const three = createStatusList({ statusSize: 3 });
    setStatus(three, 2, 5); // 101
    expect(three.bits[0]).toBe(0b00000010);
    expect(three.bits[1]).toBe(0b10000000);
    expect(getStatus(three, 2)).toBe(5);
    expect(getStatus(three, 1)).toBe(0);
    expect(getStatus(three, 3)).toBe(0);
    setStatus(three, 131071, 7);
    expect(getStatus(three, 131071)).toBe(7);
    expect(three.bits[three.bits.length - 1]).toBe(0b00000111);
  });

  it('refuses lists below the herd-privacy minimum unless told otherwise', () => {
    expectCode(() => createStatusList({ length: 131071 }), 'vc.invalid_status_list');
    expectCode(() => createStatusList({ length: 0, minimumEntries: 0 }), 'vc.invalid_status_list');
    expect(createStatusList({ length: 16, minimumEntries: 16 }).bits).toHaveLength(2);
    expect(createStatusList({ length: 9, minimumEntries: 0 }).bits).toHaveLength(2);
    for (const statusSize of [0, -1, 1.5, 17, Number.NaN]) {
      expectCode(() => createStatusList({ statusSize }), 'vc.invalid_status_list');
    }
  });

  it('refuses indexes outside the list and values that do not fit', () => {
    const list = createStatusList();
    for (const index of [-1, 131072, 1.5, Number.NaN]) {
      expectCode(() => setStatus(list, index, true), 'vc.status_index_out_of_range');
      expectCode(() => getStatus(list, index), 'vc.status_index_out_of_range');
    }
    expectCode(() => setStatus(list, 0, 2), 'vc.invalid_status_value');
    expectCode(() => setStatus(list, 0, -1), 'vc.invalid_status_value');
    const two = createStatusList({ statusSize: 2 });
    expectCode(() => setStatus(two, 0, true), 'vc.invalid_status_value');
    expectCode(() => setStatus(two, 0, 4), 'vc.invalid_status_value');
    expectCode(() => setStatus(two, 0, 0.5), 'vc.invalid_status_value');
    expectCode(() => getStatus({ length: 10, statusSize: 1, bits: new Uint8Array(1) }, 0), 'vc.invalid_status_list');
    expect(setBits(list)).toEqual([]);
    expect(setBits(two)).toEqual([]);
  });

  it('picks random free indexes', () => {
    const list = createStatusList({ length: 16, minimumEntries: 0 });
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const index = randomStatusIndex(list);
      expect(Number.isInteger(index) && index >= 0 && index < 16).toBe(true);
      seen.add(index);
    }
    expect(seen.size).toBeGreaterThan(4);
    expect(randomStatusIndex(list, (i) => i !== 11)).toBe(11);
    expectCode(() => randomStatusIndex(list, () => true), 'vc.status_list_full');
    const big = createStatusList();
    const taken = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const index = randomStatusIndex(big, (x) => taken.has(x));
      expect(taken.has(index)).toBe(false);
      taken.add(index);
    }
  });
});

// Bitstring Status List v1.0 (W3C Recommendation 2025-05-15), Examples 3 and 5:
// 16 KiB of zeros (transitions/2025/REC/index.html, w3c/vc-bitstring-status-list@74fcae1).
const SPEC_EXAMPLE = 'uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA';
// digitalbazaar/vc-bitstring-status-list@2541d39 tests/10-BitstringStatusList.spec.js (BSD-3-Clause),
// made with pako: 100,000 entries, all zero / only index 50,000 set.
const DB_100K = 'uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQsvoAAAAAAAAAAAAAAAAP4GcwM92tQwAAA';
const DB_100K_50000 = 'uH4sIAAAAAAAAA-3OMQ0AAAgDsElHOh72EJJWQRMAAAAAAIDWXAcAAAAAAIDHFvRitn7UMAAA';

describe('encodedList', () => {
  it('decodes the spec example: 131,072 entries, none set', () => {
    const list = decodeStatusList(SPEC_EXAMPLE);
    expect(list.length).toBe(131072);
    expect(list.bits).toHaveLength(16384);
    expect(setBits(list)).toEqual([]);
    expect(getStatus(list, 94567)).toBe(0); // the index of the spec's Example 4 credential
  });

  it('decodes lists made by another implementation, and finds the one set bit', () => {
    expectCode(() => decodeStatusList(DB_100K_50000), 'vc.invalid_status_list'); // 100,000 < 131,072
    const list = decodeStatusList(DB_100K_50000, { minimumEntries: 100000 });
    expect(list.length).toBe(100000);
    expect(list.bits[6250]).toBe(0x80);
    expect(setBits(list)).toEqual([50000]);
    expect(getStatus(list, 50000)).toBe(1);
    expect(getStatus(list, 49999)).toBe(0);
    expect(getStatus(list, 50001)).toBe(0);
    expect(setBits(decodeStatusList(DB_100K, { minimumEntries: 100000 }))).toEqual([]);
  });

  it('round-trips, deterministically, to a multibase base64url GZIP string', () => {
    const list = createStatusList();
    const indexes = [0, 1, 4242, 65535, 65536, 94567, 131071];
    for (const i of indexes) setStatus(list, i, true);
    const encoded = encodeStatusList(list);
    expect(encoded.startsWith('uH4sI')).toBe(true); // 'u' + base64url(1f 8b 08 ...)
    expect(encodeStatusList(list)).toBe(encoded);
    const b = bytes(encoded);
    expect([b[0], b[1], b[2]]).toEqual([0x1f, 0x8b, 8]);
    expect([b[4], b[5], b[6], b[7]]).toEqual([0, 0, 0, 0]); // no timestamp
    const decoded = decodeStatusList(encoded);
    expect(decoded.length).toBe(131072);
    expect(setBits(decoded)).toEqual(indexes);
    expect(decoded.bits).toEqual(list.bits);
  });

  it('stays tiny for a device list with a few revocations', () => {
    const list = createStatusList();
    for (const i of [17, 90001, 123456]) setStatus(list, i, true);
    const encoded = encodeStatusList(list);
    expect(bytes(encoded).length).toBeLessThan(80);
    expect(encoded.length).toBeLessThan(110);
    expect(encodeStatusList(createStatusList()).length).toBeLessThan(encoded.length);
  });

  it('round-trips a list where most bits are set and one with random bits', () => {
    const full = createStatusList();
    full.bits.fill(0xff);
    setStatus(full, 77, false);
    expect(decodeStatusList(encodeStatusList(full)).bits).toEqual(full.bits);
    const random = createStatusList();
    let x = 0x2545f491;
    for (let i = 0; i < random.bits.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      random.bits[i] = x & 0xff;
    }
    const encoded = encodeStatusList(random);
    expect(bytes(encoded).length).toBeGreaterThan(16384); // incompressible: many inflate chunks
    expect(decodeStatusList(encoded).bits).toEqual(random.bits);
  });

  it('reads multi-bit lists with the entry size, and counts entries per that size', () => {
    const list = createStatusList({ statusSize: 2 });
    setStatus(list, 492847 % 131072, 2);
    const encoded = encodeStatusList(list);
    const decoded = decodeStatusList(encoded, { statusSize: 2 });
    expect(decoded.length).toBe(131072);
    expect(getStatus(decoded, 492847 % 131072)).toBe(2);
    // 131,072 one-bit entries read as 2-bit entries are only 65,536: too few
    expectCode(() => decodeStatusList(encodeStatusList(createStatusList()), { statusSize: 2 }), 'vc.invalid_status_list');
  });

  it('refuses what is not multibase base64url of GZIP', () => {
    const good = encodeStatusList(createStatusList());
    const gz = bytes(good);
    const cases: unknown[] = [
      undefined,
      123,
      '',
      'u',
      good.slice(1), // no multibase prefix
      'z' + good.slice(1),
      good + '=', // padding
      good.slice(0, 10) + '+' + good.slice(11), // base64, not base64url
      u(new Uint8Array(64)), // not GZIP
      u(gz.subarray(0, gz.length - 12)), // truncated
      u(concatBytes(gz, gz)), // two members
      u(concatBytes(gzip(new Uint8Array(0)), gz)), // an empty member first: the trailer still matches
      u(concatBytes(gz, new Uint8Array([1, 2, 3, 4, 5]))), // trailing bytes
    ];
    for (const c of cases) expectCode(() => decodeStatusList(c as string), 'vc.invalid_status_list');
  });

  it('checks the GZIP trailer (CRC-32 and size) and the DEFLATE data', () => {
    const list = createStatusList();
    setStatus(list, 5, true);
    const gz = bytes(encodeStatusList(list));
    expect(crc32(list.bits)).toBe((gz[gz.length - 8] | (gz[gz.length - 7] << 8) | (gz[gz.length - 6] << 16) | (gz[gz.length - 5] << 24)) >>> 0);
    const crc = gz.slice();
    crc[crc.length - 8] ^= 1;
    expectCode(() => decodeStatusList(u(crc)), 'vc.invalid_status_list');
    expectCode(() => gunzip(crc, 1 << 20), 'encoding.invalid_gzip');
    const shorter = gz.slice();
    shorter[shorter.length - 3] = 0; // ISIZE 16384 -> 0: output longer than announced
    expectCode(() => gunzip(shorter, 1 << 20), 'encoding.invalid_gzip');
    const longer = gz.slice();
    longer[longer.length - 2] = 1; // ISIZE + 64 KiB: output shorter than announced
    expectCode(() => gunzip(longer, 1 << 20), 'encoding.invalid_gzip');
    const flags = gz.slice();
    flags[3] = 0x20; // reserved flag
    expectCode(() => gunzip(flags, 1 << 20), 'encoding.invalid_gzip');
    const btype = gz.slice();
    btype[10] |= 0b110; // block type 3 (reserved)
    expectCode(() => gunzip(btype, 1 << 20), 'encoding.invalid_gzip');
    expect(gunzip(gz, 16384)).toEqual(list.bits);
    expectCode(() => gunzip(gz, 16383), 'encoding.gzip_too_large');
    expectCode(() => gunzip(new Uint8Array(3) as Uint8Array, 10), 'encoding.invalid_gzip');
    expect(gunzip(gzip(new Uint8Array(0)), 0)).toHaveLength(0);
  });

  it('refuses zip bombs without expanding them', () => {
    const b = bomb();
    expect(b.length).toBeLessThan(4096);
    // honest trailer: refused from the trailer, before inflating
    expectCode(() => decodeStatusList(u(b)), 'vc.invalid_status_list');
    expectCode(() => gunzip(b, STATUS_LIST_MAX_BYTES), 'encoding.gzip_too_large');
    expect(gunzip(b, STATUS_LIST_MAX_BYTES + 1)).toHaveLength(STATUS_LIST_MAX_BYTES + 1);
    // lying trailer (claims 16 KiB): inflation stops just past 16 KiB
    const liar = b.slice();
    liar.set([0, 0x40, 0, 0], liar.length - 4);
    expectCode(() => decodeStatusList(u(liar)), 'vc.invalid_status_list');
    expectCode(() => gunzip(liar, 1 << 20), 'encoding.invalid_gzip');
    // a trailer claiming 4 GiB is refused before any allocation
    const huge = b.slice();
    huge.set([0xff, 0xff, 0xff, 0xff], huge.length - 4);
    expectCode(() => gunzip(huge, 1 << 20), 'encoding.gzip_too_large');
    // and the caller's limit applies
    const list = encodeStatusList(createStatusList({ length: 262144 }));
    expect(decodeStatusList(list).length).toBe(262144);
    expectCode(() => decodeStatusList(list, { maxBytes: 16384 }), 'vc.invalid_status_list');
    expect(decodeStatusList(list, { maxBytes: 32768 }).length).toBe(262144);
    // an absurdly long string is refused before it is decoded
    expectCode(() => decodeStatusList('u' + 'A'.repeat(2_000_000)), 'vc.invalid_status_list');
  });
});

describe('status list credentials and entries', () => {
  it('builds the spec shape (§2.2) and issues it', async () => {
    const list = createStatusList();
    setStatus(list, 3, true);
    const unsigned = statusListCredential({ id: L1, issuer: A.did, purpose: 'revocation', list, validFrom: CREATED });
    expect(unsigned).toEqual({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: L1,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: A.did,
      credentialSubject: { id: `${L1}#list`, type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList: encodeStatusList(list) },
      validFrom: CREATED,
    });
    const signed = await issueCredential(unsigned, { signer: A.signer, created: CREATED });
    expect(await verifyCredential(signed, { resolver, now: NOW })).toEqual({ verified: true, errors: [] });

    const two = createStatusList({ statusSize: 2 });
    const multi = statusListCredential({ id: `${L2}#x`, issuer: { id: A.did }, purpose: ['message', 'suspension'], list: two, ttl: 300000 });
    const subject = multi.credentialSubject as Record<string, unknown>;
    expect(subject.id).toBeUndefined();
    expect(subject.statusPurpose).toEqual(['message', 'suspension']);
    expect(subject.statusSize).toBe(2);
    expect(subject.ttl).toBe(300000);
    expect(decodeStatusList(subject.encodedList as string, { statusSize: 2 }).length).toBe(131072);
    expectCode(() => statusListCredential({ id: 'not a url', issuer: A.did, purpose: 'revocation', list }), 'vc.invalid_status_list');
    expectCode(() => statusListCredential({ id: L1, issuer: A.did, purpose: [], list }), 'vc.invalid_status_list');
    expectCode(() => statusListCredential({ id: L1, issuer: A.did, purpose: 'revocation', list, validFrom: 'yesterday' }), 'vc.invalid_datetime');
  });

  it('builds and checks BitstringStatusListEntry (§2.1)', () => {
    expect(statusListEntry({ statusListCredential: L1, statusListIndex: 94567, statusPurpose: 'revocation' })).toEqual({
      id: `${L1}#94567`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '94567',
      statusListCredential: L1,
    });
    const messages: StatusMessage[] = [
      { status: '0x0', message: 'pending_review' },
      { status: '0x1', message: 'accepted' },
      { status: '0x2', message: 'rejected' },
      { status: '0x3', message: 'undefined' },
    ];
    const entry = statusListEntry({ statusListCredential: L1, statusListIndex: 7, statusPurpose: 'message', statusSize: 2, statusMessage: messages });
    expect(parseStatusEntry(entry)).toEqual({ purpose: 'message', index: 7, statusListCredential: L1, statusSize: 2, statusMessage: messages });

    const base = { type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '5', statusListCredential: L1 };
    expect(parseStatusEntry(base).statusSize).toBe(1);
    expect(parseStatusEntry({ ...base, statusListIndex: '0005' }).index).toBe(5);
    const bad: unknown[] = [
      { ...base, type: 'StatusList2021Entry' },
      { ...base, statusPurpose: '' },
      { ...base, statusListIndex: 5 },
      { ...base, statusListIndex: '-5' },
      { ...base, statusListIndex: '5.0' },
      { ...base, statusListIndex: '0x5' },
      { ...base, statusListIndex: '' },
      { ...base, statusListCredential: 'list 1' },
      { ...base, id: L1 }, // MUST NOT be the list's URL
      { ...base, statusSize: 0 },
      { ...base, statusSize: '1' },
      { ...base, statusSize: 2 }, // statusMessage missing
      { ...base, statusSize: 2, statusMessage: messages.slice(0, 3) },
      { ...base, statusSize: 2, statusMessage: [...messages.slice(0, 3), { status: '0x2', message: 'again' }] },
      { ...base, statusSize: 2, statusMessage: [...messages.slice(0, 3), { status: '3', message: 'no 0x' }] },
      { ...base, statusMessage: [{ status: '0x0', message: 'ok' }, { status: '0x1' }] },
      { ...base, statusReference: 'not a url' },
      null,
    ];
    for (const b of bad) expectCode(() => parseStatusEntry(b), 'vc.invalid_status');
    expectCode(() => parseStatusEntry({ ...base, statusListIndex: '9007199254740993' }), 'vc.status_index_out_of_range');
    expectCode(() => statusListEntry({ statusListCredential: L1, statusListIndex: -1, statusPurpose: 'revocation' }), 'vc.invalid_status');
    expectCode(() => statusListEntry({ statusListCredential: L1, statusListIndex: 1, statusPurpose: 'message', statusSize: 2 }), 'vc.invalid_status');
  });
});

/** A status publisher for the tests: lists by URL, counting fetches. */
class Publisher {
  readonly lists = new Map<string, unknown>();
  fetches = 0;
  async fetchStatusList(url: string): Promise<unknown> {
    this.fetches++;
    if (!this.lists.has(url)) throw new Error(`404 ${url}`);
    return clone(this.lists.get(url));
  }
  async publish(
    url: string,
    list: StatusList,
    opts: { purpose?: string | string[]; by?: { did: string; signer: Signer }; issuer?: string; validUntil?: string; id?: string } = {},
  ): Promise<VerifiableCredential> {
    const by = opts.by ?? A;
    const unsigned = statusListCredential({
      id: opts.id ?? url,
      issuer: opts.issuer ?? by.did,
      purpose: opts.purpose ?? 'revocation',
      list,
      validFrom: CREATED,
      validUntil: opts.validUntil,
    });
    const signed = await issueCredential(unsigned, { signer: by.signer, created: CREATED });
    this.lists.set(url, signed);
    return signed;
  }
}

async function credentialWith(credentialStatus: unknown): Promise<VerifiableCredential> {
  return issueCredential(
    {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: 'urn:uuid:6a1f3c2e-8d4b-4f0a-9c7e-2b5d1e0f3a77',
      type: ['VerifiableCredential', 'OwnerImprint'],
      issuer: A.did,
      validFrom: CREATED,
      credentialSubject: { id: 'did:example:owner', serial: 'SN-0042' },
      credentialStatus,
    },
    { signer: A.signer, created: CREATED },
  );
}

function revocationEntry(index: number, url = L1): unknown {
  return statusListEntry({ statusListCredential: url, statusListIndex: index, statusPurpose: 'revocation' });
}

async function codes(vc: unknown, pub: Publisher, extra: Record<string, unknown> = {}): Promise<string[]> {
  const r = await verifyCredential(vc, { resolver, now: NOW, checkStatus: { fetchStatusList: (url) => pub.fetchStatusList(url), ...extra } });
  expect(r.verified).toBe(r.errors.length === 0);
  return r.errors.map((e) => e.code);
}

describe('checking status (Validate Algorithm §3.2) through verifyCredential', () => {
  it('detects revocation end to end, and leaves verifyCredential unchanged without checkStatus', async () => {
    const pub = new Publisher();
    const list = createStatusList();
    const index = randomStatusIndex(list);
    await pub.publish(L1, list);
    const vc = await credentialWith(revocationEntry(index));
    expect(await codes(vc, pub)).toEqual([]);
    expect(await checkCredentialStatus(vc, { resolver, now: NOW, fetchStatusList: (url) => pub.fetchStatusList(url) })).toEqual({
      purpose: 'revocation',
      status: false,
      valid: true,
    });

    setStatus(list, index, true); // the device revokes the old imprint
    await pub.publish(L1, list);
    expect(await codes(vc, pub)).toEqual(['vc.revoked']);
    expect(await codes(JSON.stringify(vc), pub)).toEqual(['vc.revoked']);
    expect(await checkCredentialStatus(vc, { resolver, now: NOW, fetchStatusList: (url) => pub.fetchStatusList(url) })).toEqual({
      purpose: 'revocation',
      status: true,
      valid: false,
    });
    // another credential in the same list is unaffected
    expect(await codes(await credentialWith(revocationEntry((index + 1) % list.length)), pub)).toEqual([]);
    // no checkStatus: as before, status is not looked at
    const fetches = pub.fetches;
    expect(await verifyCredential(vc, { resolver, now: NOW })).toEqual({ verified: true, errors: [] });
    expect(pub.fetches).toBe(fetches);
  });

  it('detects suspension, and lifts it; one fetch for two entries in one list (spec Example 7)', async () => {
    const pub = new Publisher();
    const list = createStatusList();
    await pub.publish(L1, list, { purpose: ['revocation', 'suspension'] });
    const vc = await credentialWith([
      revocationEntry(100),
      statusListEntry({ statusListCredential: L1, statusListIndex: 200, statusPurpose: 'suspension' }),
    ]);
    expect(await codes(vc, pub)).toEqual([]);
    expect(pub.fetches).toBe(1);
    setStatus(list, 200, true);
    await pub.publish(L1, list, { purpose: ['revocation', 'suspension'] });
    expect(await codes(vc, pub)).toEqual(['vc.suspended']);
    const check = { resolver, now: NOW, fetchStatusList: (url: string) => pub.fetchStatusList(url) };
    expect((await checkCredentialStatus(vc, { ...check, purpose: 'suspension' })).status).toBe(true);
    expect((await checkCredentialStatus(vc, { ...check, purpose: 'revocation' })).status).toBe(false);
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.invalid_status'); // two entries: which?
    await expectCodeAsync(() => checkCredentialStatus(vc, { ...check, purpose: 'refresh' }), 'vc.invalid_status');
    setStatus(list, 200, false);
    setStatus(list, 100, true);
    await pub.publish(L1, list, { purpose: ['revocation', 'suspension'] });
    expect(await codes(vc, pub)).toEqual(['vc.revoked']);
  });

  it('reads multi-bit status messages (statusSize 2) without failing verification', async () => {
    const pub = new Publisher();
    const list = createStatusList({ statusSize: 2 });
    const messages: StatusMessage[] = [
      { status: '0x0', message: 'pending_review' },
      { status: '0x1', message: 'accepted' },
      { status: '0x2', message: 'rejected' },
      { status: '0x3', message: 'undefined' },
    ];
    setStatus(list, 4, 2);
    await pub.publish(L2, list, { purpose: 'message' });
    const entry = (index: number) =>
      statusListEntry({ statusListCredential: L2, statusListIndex: index, statusPurpose: 'message', statusSize: 2, statusMessage: messages });
    const check = { resolver, now: NOW, fetchStatusList: (url: string) => pub.fetchStatusList(url) };
    expect(await checkCredentialStatus(await credentialWith(entry(4)), check)).toEqual({
      purpose: 'message',
      status: 2,
      valid: false,
      message: 'rejected',
    });
    const accepted = await credentialWith(entry(5));
    expect(await checkCredentialStatus(accepted, check)).toEqual({ purpose: 'message', status: 0, valid: true, message: 'pending_review' });
    expect(await codes(await credentialWith(entry(4)), pub)).toEqual([]); // messages do not invalidate
    // 1-bit message entries without statusMessage read "set" / "unset"
    const one = createStatusList();
    setStatus(one, 9, true);
    await pub.publish(L1, one, { purpose: 'message' });
    const m = await credentialWith(statusListEntry({ statusListCredential: L1, statusListIndex: 9, statusPurpose: 'message' }));
    expect(await checkCredentialStatus(m, check)).toEqual({ purpose: 'message', status: 1, valid: false, message: 'set' });
    // an entry whose statusSize differs from the list's is refused
    const wrongSize = await credentialWith(
      statusListEntry({ statusListCredential: L2, statusListIndex: 4, statusPurpose: 'message', statusSize: 1 }),
    );
    await expectCodeAsync(() => checkCredentialStatus(wrongSize, check), 'vc.status_verification_failed');
  });

  it('refuses a status list issued or signed by someone else', async () => {
    const pub = new Publisher();
    const vc = await credentialWith(revocationEntry(42));
    const check = { resolver, now: NOW, fetchStatusList: (url: string) => pub.fetchStatusList(url) };
    // B publishes "nothing is revoked" under its own name
    await pub.publish(L1, createStatusList(), { by: B });
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.status_verification_failed');
    expect(await codes(vc, pub)).toEqual(['vc.status_unavailable']);
    // unless the verifier trusts B for A's status lists
    expect((await checkCredentialStatus(vc, { ...check, trustedStatusListIssuers: [B.did] })).status).toBe(false);
    expect(await codes(vc, pub, { trustedStatusListIssuers: [B.did] })).toEqual([]);
    // B signs a list that claims A as issuer
    const forged = await addProof(statusListCredential({ id: L1, issuer: A.did, purpose: 'revocation', list: createStatusList() }), {
      signer: B.signer,
      created: CREATED,
    });
    pub.lists.set(L1, forged);
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.status_verification_failed');
    expect(await codes(vc, pub, { trustedStatusListIssuers: [B.did] })).toEqual(['vc.status_unavailable']);
  });

  it('refuses a tampered encodedList (the signature covers it)', async () => {
    const pub = new Publisher();
    const list = createStatusList();
    setStatus(list, 42, true);
    const signed = await pub.publish(L1, list);
    const vc = await credentialWith(revocationEntry(42));
    expect(await codes(vc, pub)).toEqual(['vc.revoked']);
    const tampered = clone(signed);
    (tampered.credentialSubject as Record<string, unknown>).encodedList = encodeStatusList(createStatusList());
    pub.lists.set(L1, tampered);
    const check = { resolver, now: NOW, fetchStatusList: (url: string) => pub.fetchStatusList(url) };
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.status_verification_failed');
    expect(await codes(vc, pub)).toEqual(['vc.status_unavailable']);
  });

  it('refuses a signed zip bomb, a too-short list and an index outside the list', async () => {
    const pub = new Publisher();
    const check = { resolver, now: NOW, fetchStatusList: (url: string) => pub.fetchStatusList(url) };
    const vc = await credentialWith(revocationEntry(42));
    const unsigned = statusListCredential({ id: L1, issuer: A.did, purpose: 'revocation', list: createStatusList() });
    (unsigned.credentialSubject as Record<string, unknown>).encodedList = u(bomb());
    pub.lists.set(L1, await issueCredential(unsigned, { signer: A.signer, created: CREATED }));
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.invalid_status_list');
    expect(await codes(vc, pub)).toEqual(['vc.status_unavailable']);

    const short = createStatusList({ length: 1024, minimumEntries: 0 });
    await pub.publish(L1, short);
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.invalid_status_list');
    expect(await codes(vc, pub)).toEqual(['vc.status_unavailable']);
    expect((await checkCredentialStatus(vc, { ...check, minimumEntries: 1024 })).status).toBe(false);

    await pub.publish(L1, createStatusList());
    const outside = await credentialWith(revocationEntry(131072));
    await expectCodeAsync(() => checkCredentialStatus(outside, check), 'vc.status_index_out_of_range');
    expect(await codes(outside, pub)).toEqual(['vc.status_unavailable']);
  });

  it('refuses a list for another purpose, under another id, or outside its validity period', async () => {
    const pub = new Publisher();
    const check = { resolver, now: NOW, fetchStatusList: (url: string) => pub.fetchStatusList(url) };
    const vc = await credentialWith(revocationEntry(42));
    await pub.publish(L1, createStatusList(), { purpose: 'suspension' });
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.status_verification_failed');
    expect(await codes(vc, pub)).toEqual(['vc.status_unavailable']);

    await pub.publish(L1, createStatusList(), { id: L2 }); // list 2 served as list 1
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.status_verification_failed');

    await pub.publish(L1, createStatusList(), { validUntil: '2026-03-01T00:00:00Z' });
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.status_verification_failed');
    expect(await codes(vc, pub)).toEqual(['vc.status_unavailable']);
    expect((await checkCredentialStatus(vc, { ...check, now: new Date('2026-02-01T00:00:00Z') })).status).toBe(false);

    const notAList = clone(await pub.publish(L1, createStatusList()));
    pub.lists.set(L1, await issueCredential({ ...notAList, proof: undefined, type: ['VerifiableCredential'] }, { signer: A.signer, created: CREATED }));
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.status_verification_failed');
  });

  it('fails closed when the list is unreachable or the entry cannot be checked', async () => {
    const pub = new Publisher();
    const check = { resolver, now: NOW, fetchStatusList: (url: string) => pub.fetchStatusList(url) };
    const vc = await credentialWith(revocationEntry(42));
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.status_unavailable');
    expect(await codes(vc, pub)).toEqual(['vc.status_unavailable']);
    pub.lists.set(L1, 'not json');
    await expectCodeAsync(() => checkCredentialStatus(vc, check), 'vc.status_verification_failed');
    // JSON text of a good list is fine
    pub.lists.set(L1, JSON.stringify(await pub.publish(L1, createStatusList())));
    expect(await codes(vc, pub)).toEqual([]);

    const unknownType = await credentialWith({ type: 'StatusList2021Entry', statusListIndex: '1', statusListCredential: L1 });
    expect(await codes(unknownType, pub)).toEqual(['vc.status_unavailable']);
    expect((await verifyCredential(unknownType, { resolver, now: NOW })).verified).toBe(true);
    const malformed = await credentialWith({ ...(revocationEntry(42) as object), statusListIndex: 42 });
    expect(await codes(malformed, pub)).toEqual(['vc.invalid_status']);
    await expectCodeAsync(() => checkCredentialStatus(malformed, check), 'vc.invalid_status');
    await expectCodeAsync(() => checkCredentialStatus(vc, { ...check, fetchStatusList: undefined as never }), 'vc.invalid_options');
    await expectCodeAsync(() => checkCredentialStatus('{', check), 'vc.invalid_json');
  });

  it('does not dereference the status list of a credential that does not verify', async () => {
    const pub = new Publisher();
    await pub.publish(L1, createStatusList());
    const vc = await credentialWith(revocationEntry(42));
    const altered = clone(vc);
    (altered.credentialSubject as Record<string, unknown>).serial = 'SN-9999';
    const fetches = pub.fetches;
    expect(await codes(altered, pub)).toEqual(['vc.invalid_signature']);
    const byB = clone(vc);
    byB.issuer = B.did;
    expect(await codes(byB, pub)).toContain('vc.issuer_mismatch');
    expect(pub.fetches).toBe(fetches);
  });
});
