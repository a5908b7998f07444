import { describe, it, expect } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { parseJson } from '../encoding/json.ts';
import { validatePlaintext, type PlaintextMessage } from '../didcomm/message.ts';
import { Router } from '../didcomm/router.ts';
import {
  DISCLOSE_TYPE,
  MAX_QUERIES,
  QUERIES_TYPE,
  createDisclose,
  createQueries,
  matchesFeature,
  maxReceiveBytesDisclosure,
  ourFeatures,
  parseDisclose,
  parseQueries,
  peerMaxReceiveBytes,
  registerDiscoverFeatures,
  selectDisclosures,
  type Disclosure,
} from './discover-features.ts';
import { registerTrustPing } from './trust-ping.ts';

const FEATURES: Disclosure[] = [
  { 'feature-type': 'protocol', id: 'https://didcomm.org/tictactoe/1.0', roles: ['player'] },
  { 'feature-type': 'protocol', id: 'https://didcomm.org/tictactoe/2.0' },
  { 'feature-type': 'goal-code', id: 'org.didcomm.sell.goods.consumer' },
  { 'feature-type': 'header', id: 'expires_time' },
  { 'feature-type': 'secret-type', id: 'anything' },
];

describe('discover-features 2.0 matching', () => {
  it('* matches any run of characters, including none; literal otherwise', () => {
    const yes: [string, string][] = [
      ['*', 'anything'],
      ['*', ''],
      ['https://didcomm.org/tictactoe/1.*', 'https://didcomm.org/tictactoe/1.0'],
      ['org.didcomm.*', 'org.didcomm.sell.goods.consumer'],
      ['*tac*1.0', 'https://didcomm.org/tictactoe/1.0'],
      ['a*b*c', 'abc'],
      ['exact', 'exact'],
    ];
    const no: [string, string][] = [
      ['https://didcomm.org/tictactoe/1.*', 'https://didcomm.org/tictactoe/2.0'],
      ['a*b*c', 'acb'],
      ['ab*ba', 'aba'],
      ['exact', 'exactly'],
      ['Exact', 'exact'],
    ];
    for (const [p, id] of yes) expect(matchesFeature(p, id)).toBe(true);
    for (const [p, id] of no) expect(matchesFeature(p, id)).toBe(false);
  });

  it('the spec query selects the 1.x protocol and the org.didcomm goal code; unknown feature types are ignored', () => {
    const q = [
      { 'feature-type': 'protocol', match: 'https://didcomm.org/tictactoe/1.*' },
      { 'feature-type': 'goal-code', match: 'org.didcomm.*' },
      { 'feature-type': 'secret-type', match: '*' },
    ];
    expect(selectDisclosures(FEATURES, q)).toEqual([FEATURES[0], FEATURES[2]]);
  });

  it('queries are validated and bounded', () => {
    const m = (body: Record<string, unknown>): PlaintextMessage => ({ id: 'q', type: QUERIES_TYPE, body });
    expect(parseQueries(m({ queries: [{ 'feature-type': 'header', match: '*' }] }))).toEqual([{ 'feature-type': 'header', match: '*' }]);
    for (const body of [{}, { queries: [] }, { queries: [1] }, { queries: [{ 'feature-type': 'protocol' }] }, { queries: [{ 'feature-type': 'protocol', match: 'x'.repeat(257) }] }]) {
      expectCode(() => parseQueries(m(body)), 'didcomm.problem');
    }
    const many = Array.from({ length: MAX_QUERIES + 1 }, () => ({ 'feature-type': 'protocol', match: '*' }));
    expectCode(() => parseQueries(m({ queries: many })), 'didcomm.problem');
  });

  it('disclose messages and the max_receive_bytes constraint (a decimal string, as in the spec)', () => {
    const d = createDisclose([maxReceiveBytesDisclosure(65536)], { thid: 'q-1' });
    expect(d).toMatchObject({ type: DISCLOSE_TYPE, thid: 'q-1', body: { disclosures: [{ 'feature-type': 'constraint', id: 'max_receive_bytes', max_receive_bytes: '65536' }] } });
    expect(peerMaxReceiveBytes(parseDisclose(d))).toBe(65536);
    expect(peerMaxReceiveBytes([{ 'feature-type': 'constraint', id: 'max_receive_bytes', max_receive_bytes: 'lots' }])).toBeUndefined();
    expectCode(() => maxReceiveBytesDisclosure(0), 'didcomm.invalid_argument');
    expect(parseDisclose({ id: 'x', type: DISCLOSE_TYPE, body: { disclosures: [{ 'feature-type': 'protocol', id: 'p' }, { id: 3 }, null] } })).toEqual([{ 'feature-type': 'protocol', id: 'p' }]);
    expectCode(() => createQueries({ queries: [] }), 'didcomm.invalid_argument');
  });

  it('a router discloses its protocols with roles; the filter hides features per peer', async () => {
    const sent: PlaintextMessage[] = [];
    const router = new Router({
      unpack: async (p) => ({ message: validatePlaintext(parseJson(p)), metadata: {} }),
      send: async (m) => void sent.push(m),
      dids: ['did:example:bob'],
      maxReceiveBytes: 4096,
    });
    registerTrustPing(router);
    registerDiscoverFeatures(router, { headers: ['expires_time'], filter: (f, ctx) => !(ctx.peer === 'did:example:stranger' && f['feature-type'] === 'protocol') });
    expect(ourFeatures(router).map((f) => f.id)).toEqual([
      'https://didcomm.org/trust-ping/2.0',
      'https://didcomm.org/discover-features/2.0',
      'max_receive_bytes',
    ]);
    const ask = (from: string) => JSON.stringify(createQueries({ from, to: ['did:example:bob'], queries: [{ 'feature-type': 'protocol', match: '*' }, { 'feature-type': 'header', match: '*' }] }));
    await router.receive(ask('did:example:friend'));
    await router.receive(ask('did:example:stranger'));
    expect(parseDisclose(sent[0]).map((d) => d.id)).toEqual(['https://didcomm.org/trust-ping/2.0', 'https://didcomm.org/discover-features/2.0', 'expires_time']);
    expect(parseDisclose(sent[0])[1].roles).toEqual(['responder', 'requester']);
    expect(parseDisclose(sent[1]).map((d) => d.id)).toEqual(['expires_time']);
    // malformed queries are answered with e.p.msg.invalid
    await router.receive(JSON.stringify({ id: 'bad', type: QUERIES_TYPE, from: 'did:example:friend', body: { queries: 'all' } }));
    expect(sent[2].body).toMatchObject({ code: 'e.p.msg.invalid' });
  });
});
