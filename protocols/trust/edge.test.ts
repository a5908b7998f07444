/**
 * Edge records as Merkle leaves: the canonical bytes (JCS), the fast path
 * the registry uses for half a million records (same bytes), ordering, and
 * the checks on a record's shape.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { bytesToHex, utf8Decode } from '../encoding/bytes.ts';
import { canonicalize } from '../encoding/jcs.ts';
import { compareEdges, edgeLeafData, edgeLeafHash, edgeRecord, edgeRecordProblems, validatedEdgeLeafHash, type EdgeRecord } from './edge.ts';
import { TrustGraph } from './graph.ts';

const DIDS = [
  'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  'did:web:example.com%3A8443:issuers:acme',
  'did:webvh:QmPEQVM1JPTyrvEgBcDXwjK4TeyLGSX1PxjgyeAisdWM1p:example.com:dids:a_b-c.d',
  'did:peer:2.Vz6Mkj3PUd1WjvaDhNZhhhXQdz5UnZXmS7ehtx8bsPpD47kKc',
  'did:example:%E2%82%AC',
];

describe('edge records', () => {
  it('hash their JCS form; the validated fast path gives the same bytes', () => {
    const r: EdgeRecord = { from: DIDS[0], to: DIDS[1], weight: 850000, seq: 3 };
    expect(utf8Decode(edgeLeafData(r))).toBe(`{"from":"${DIDS[0]}","seq":3,"to":"${DIDS[1]}","weight":850000}`);
    expect(utf8Decode(edgeLeafData({ ...r, extra: 1 } as EdgeRecord))).toBe(canonicalize(r));
    for (const from of DIDS) {
      for (const to of DIDS) {
        if (from === to) continue;
        for (const [weight, seq] of [[0, 0], [1, 1], [1000000, 9007199254740991], [123456, 42]]) {
          const rec = { from, to, weight, seq };
          expect(bytesToHex(validatedEdgeLeafHash(rec))).toBe(bytesToHex(edgeLeafHash(rec)));
        }
      }
    }
  });

  it('match the worked example of docs/trust.md (recomputed with Python hashlib)', () => {
    const r = { from: 'did:example:shop', to: 'did:example:baratza', weight: 900000, seq: 1 };
    expect(bytesToHex(edgeLeafHash(r))).toBe('27f1260773bfb3451483c2d2ba5b36e849493aa43773b7f9319374db7d5fa834');
  });

  it('order by from, then to', () => {
    const recs = [
      { from: 'did:ex:b', to: 'did:ex:a', weight: 1, seq: 1 },
      { from: 'did:ex:a', to: 'did:ex:c', weight: 1, seq: 1 },
      { from: 'did:ex:a', to: 'did:ex:b', weight: 1, seq: 1 },
    ].sort(compareEdges);
    expect(recs.map((r) => r.from + '>' + r.to)).toEqual(['did:ex:a>did:ex:b', 'did:ex:a>did:ex:c', 'did:ex:b>did:ex:a']);
  });

  it('refuse malformed records', () => {
    expect(edgeRecordProblems({ from: 'x', to: DIDS[0], weight: 1.5, seq: -1 })).toHaveLength(3);
    expect(edgeRecordProblems({ from: DIDS[0], to: DIDS[0], weight: 1, seq: 0 })).toEqual(['an issuer cannot trust itself']);
    expectCode(() => edgeRecord(null), 'trust.invalid_record');
    expectCode(() => edgeRecord({ from: DIDS[0], to: DIDS[1], weight: 1000001, seq: 0 }), 'trust.invalid_record');
    expect(edgeRecord({ from: DIDS[0], to: DIDS[1], weight: 5, seq: 0, proof: {} })).toEqual({ from: DIDS[0], to: DIDS[1], weight: 5, seq: 0 });
  });

  it('form a graph with one record per pair', () => {
    const a = { from: DIDS[0], to: DIDS[1], weight: 5, seq: 0 };
    expectCode(() => new TrustGraph([a, { ...a, seq: 1 }]), 'trust.invalid_record');
    const g = new TrustGraph([a, { from: DIDS[1], to: DIDS[2], weight: 0, seq: 0 }]);
    expect(g.edgeCount).toBe(1);
    expect(g.has(DIDS[2])).toBe(false);
    expectCode(() => g.findPath([DIDS[0]], DIDS[1], { nonce: 1 as unknown as string }), 'trust.invalid_argument');
    expect(g.findPath([DIDS[0]], DIDS[1], { nonce: 'n', maxLength: 0 })).toBeUndefined();
    expect(g.findPath([DIDS[0]], DIDS[1], { nonce: 'n', maxLength: 1 })?.path).toEqual([DIDS[0], DIDS[1]]);
    // edge indices refer to the records given, withdrawn (weight 0) ones included
    const g2 = new TrustGraph([{ from: DIDS[2], to: DIDS[3], weight: 0, seq: 4 }, a]);
    expect(g2.findPath([DIDS[0]], DIDS[1], { nonce: 'n' })?.edges).toEqual([1]);
  });
});
