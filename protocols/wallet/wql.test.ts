/**
 * WQL parsing (every operator, every refusal) and the JavaScript evaluator's
 * primitives: bytewise order and `$like`. The backends' answers to the same
 * queries are checked by the shared store suite.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { plainQuery, plainTagLookup } from './item-cipher.ts';
import { compareBytes, evaluateQuery, likeMatch } from './match.ts';
import { MAX_QUERY_DEPTH, parseWql } from './wql.ts';

describe('parseWql', () => {
  it('parses every operator', () => {
    expect(parseWql({ a: 'x' })).toEqual({ op: 'eq', name: 'a', value: 'x' });
    for (const [op, name] of [
      ['$eq', 'eq'],
      ['$neq', 'neq'],
    ]) {
      expect(parseWql({ a: { [op]: 'x' } })).toEqual({ op: name, name: 'a', value: 'x' });
    }
    for (const [op, name] of [
      ['$gt', 'gt'],
      ['$gte', 'gte'],
      ['$lt', 'lt'],
      ['$lte', 'lte'],
      ['$like', 'like'],
    ]) {
      expect(parseWql({ '~a': { [op]: 'x' } })).toEqual({ op: name, name: '~a', value: 'x' });
    }
    expect(parseWql({ a: { $in: ['x', 'y'] } })).toEqual({ op: 'in', name: 'a', values: ['x', 'y'] });
    expect(parseWql({ $and: [{ a: 'x' }, { b: 'y' }] })).toEqual({
      op: 'and',
      subs: [
        { op: 'eq', name: 'a', value: 'x' },
        { op: 'eq', name: 'b', value: 'y' },
      ],
    });
    expect(parseWql({ $or: [{ a: 'x' }] })).toEqual({ op: 'or', subs: [{ op: 'eq', name: 'a', value: 'x' }] });
    expect(parseWql({ $not: { a: 'x' } })).toEqual({ op: 'not', sub: { op: 'eq', name: 'a', value: 'x' } });
  });

  it('treats several keys and several operators as AND', () => {
    expect(parseWql({ a: 'x', b: 'y' })).toEqual({
      op: 'and',
      subs: [
        { op: 'eq', name: 'a', value: 'x' },
        { op: 'eq', name: 'b', value: 'y' },
      ],
    });
    expect(parseWql({ '~n': { $gte: '1', $lt: '5' } })).toEqual({
      op: 'and',
      subs: [
        { op: 'gte', name: '~n', value: '1' },
        { op: 'lt', name: '~n', value: '5' },
      ],
    });
  });

  it('reads empty, absent and JSON-text queries', () => {
    expect(parseWql({})).toEqual({ op: 'and', subs: [] });
    expect(parseWql(undefined)).toEqual({ op: 'and', subs: [] });
    expect(parseWql(null)).toEqual({ op: 'and', subs: [] });
    expect(parseWql('{"~n":{"$gt":"3"}}')).toEqual({ op: 'gt', name: '~n', value: '3' });
    expect(parseWql({ $and: [] })).toEqual({ op: 'and', subs: [] });
    expect(parseWql({ $or: [] })).toEqual({ op: 'or', subs: [] });
    expect(parseWql({ a: { $in: [] } })).toEqual({ op: 'in', name: 'a', values: [] });
    // A tag named like a tree key is just a tag.
    expect(parseWql({ op: 'and' })).toEqual({ op: 'eq', name: 'op', value: 'and' });
  });

  it('refuses ranges and $like on encrypted tags', () => {
    for (const op of ['$gt', '$gte', '$lt', '$lte', '$like']) expectCode(() => parseWql({ color: { [op]: 'x' } }), 'wallet.invalid_query');
  });

  it('refuses malformed queries with wallet.invalid_query', () => {
    const bad: unknown[] = [
      '{oops',
      '[]',
      '"text"',
      [],
      { a: 1 },
      { a: null },
      { a: true },
      { a: ['x'] },
      { a: {} },
      { a: { $in: 'x' } },
      { a: { $in: [1] } },
      { a: { $eq: 1 } },
      { a: { $regex: 'x' } },
      { $xor: [] },
      { $and: {} },
      { $and: [1] },
      { $or: 'x' },
      { $not: [] },
      { $not: 'x' },
      { '': 'x' },
      { '~': 'x' },
      { a: '\uD800' },
      { a: 'nul\u0000' },
      { a: 'x'.repeat(2000) },
      { ['t'.repeat(300)]: 'x' },
    ];
    for (const q of bad) expectCode(() => parseWql(q as Record<string, unknown>), 'wallet.invalid_query');
  });

  it('bounds nesting and size', () => {
    let q: Record<string, unknown> = { a: 'x' };
    for (let i = 0; i < MAX_QUERY_DEPTH + 2; i++) q = { $not: q };
    expectCode(() => parseWql(q), 'wallet.invalid_query');
    const wide = { $or: Array.from({ length: 1100 }, (_, i) => ({ a: String(i) })) };
    expectCode(() => parseWql(wide), 'wallet.invalid_query');
    expectCode(() => parseWql({ a: { $in: Array.from({ length: 1100 }, (_, i) => String(i)) } }), 'wallet.invalid_query');
  });
});

describe('WQL evaluation primitives', () => {
  it('orders bytewise on UTF-8 (code point order)', () => {
    const cmp = (a: string, b: string) => compareBytes(utf8Encode(a), utf8Encode(b));
    expect(cmp('10', '9')).toBe(-1);
    expect(cmp('Z', 'a')).toBe(-1);
    expect(cmp('a', 'ab')).toBe(-1);
    expect(cmp('', 'a')).toBe(-1);
    expect(cmp('x', 'x')).toBe(0);
    expect(cmp('é', 'z')).toBe(1);
    // UTF-16 comparison gets this one wrong; UTF-8 bytes get it right.
    expect('\uFFFF' < '\u{10000}').toBe(false);
    expect(cmp('\uFFFF', '\u{10000}')).toBe(-1);
  });

  it('matches $like patterns as documented', () => {
    const cases: [string, string, boolean][] = [
      ['abc', 'abc', true],
      ['abc', 'abcd', false],
      ['abc', 'ABC', false],
      ['%', '', true],
      ['%', 'anything', true],
      ['_', '', false],
      ['_', 'a', true],
      ['_', '\u{1F600}', true],
      ['__', '\u{1F600}', false],
      ['a%', 'a', true],
      ['%a', 'bba', true],
      ['%a%b%', 'xaybz', true],
      ['%a%b%', 'xbya', false],
      ['a_c', 'abc', true],
      ['a_c', 'ac', false],
      ['%%%', 'x', true],
      ['a\\%', 'a\\bc', true],
      ['a\\%', 'abc', false],
      ['100%', '100%', true],
      ['100%', '1000', true],
      ['%aaa%b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac', false],
    ];
    for (const [p, v, want] of cases) expect({ p, v, m: likeMatch(p, v) }).toEqual({ p, v, m: want });
  });

  it('evaluates queries over plaintext tags, including missing tags', () => {
    const tags = { color: 'red', '~n': '05' };
    const q = (wql: Record<string, unknown>) => evaluateQuery(plainQuery(parseWql(wql)), plainTagLookup(tags));
    expect(q({ color: 'red' })).toBe(true);
    expect(q({ size: { $neq: 'L' } })).toBe(false);
    expect(q({ $not: { size: 'L' } })).toBe(true);
    expect(q({ '~n': { $gt: '04', $lte: '05' } })).toBe(true);
    expect(q({ '~n': { $like: '0_' } })).toBe(true);
    expect(q({ $or: [] })).toBe(false);
    expect(q({})).toBe(true);
    expect(q({ color: { $in: [] } })).toBe(false);
    expect(q({ color: { $in: ['blue', 'red'] } })).toBe(true);
  });
});
