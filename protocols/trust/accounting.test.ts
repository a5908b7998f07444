/**
 * Exact arithmetic: weights and scores (score.ts) and the registry's
 * accounting (accounting.ts) — the worked examples of docs/trust.md, the
 * rounding rules, conservation of money, locks and delisting.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { Ledger, slashAmounts, splitFee, accountingRules } from './accounting.ts';
import { compareScores, formatFraction, meetsThreshold, parseWeight, pathScore, scoreToJson } from './score.ts';

describe('weights and scores', () => {
  it('parses weights exactly as millionths', () => {
    expect(parseWeight(0.85)).toBe(850000);
    expect(parseWeight('0.85')).toBe(850000);
    expect(parseWeight(1)).toBe(1000000);
    expect(parseWeight('0')).toBe(0);
    expect(parseWeight(0.000001)).toBe(1);
    expect(parseWeight(0.29)).toBe(290000);
    for (const bad of [1 / 3, -0.1, 1.5, '1.000001', '0.1234567', 'abc', Number.NaN]) expectCode(() => parseWeight(bad), 'trust.invalid_argument');
  });

  it('multiplies and compares scores exactly', () => {
    const s = pathScore([900000, 800000]);
    expect(scoreToJson(s)).toEqual({ numerator: '720000000000', denominator: '1000000000000', value: '0.72' });
    expect(meetsThreshold(s, parseWeight('0.72'))).toBe(true);
    expect(meetsThreshold(s, parseWeight('0.720001'))).toBe(false);
    // 0.5 * 0.6 = 0.3 exactly = 0.3 in one hop: a tie, not a float near-miss
    expect(compareScores(pathScore([500000, 600000]), pathScore([300000]))).toBe(0);
    expect(compareScores(pathScore([500000, 600001]), pathScore([300000]))).toBe(1);
    expect(scoreToJson(pathScore([]))).toEqual({ numerator: '1', denominator: '1', value: '1' });
    expect(formatFraction(123n, 1000000n)).toBe('0.000123');
  });
});

describe('fee split', () => {
  it('worked example: fee 1001 on T -> A -> B -> M', () => {
    const split = splitFee(1001n, ['T', 'A', 'B', 'M']);
    expect(split.issuer).toEqual({ did: 'M', amount: 501n });
    // pool 500 over 3 sources: 166 each, the 2 leftover units to B and A (nearest M)
    expect(split.shares).toEqual([
      { did: 'T', amount: 166n },
      { did: 'A', amount: 167n },
      { did: 'B', amount: 167n },
    ]);
  });

  it('rounds as documented and always sums to the fee', () => {
    expect(splitFee(1n, ['T', 'M'])).toEqual({ fee: 1n, issuer: { did: 'M', amount: 1n }, shares: [{ did: 'T', amount: 0n }] });
    expect(splitFee(100n, ['M'])).toEqual({ fee: 100n, issuer: { did: 'M', amount: 100n }, shares: [] });
    expect(splitFee(10n, ['T', 'M']).shares).toEqual([{ did: 'T', amount: 5n }]);
    for (const fee of [0n, 1n, 2n, 7n, 99n, 1000n, 123457n]) {
      for (let n = 1; n <= 6; n++) {
        const path = Array.from({ length: n }, (_, i) => `p${i}`);
        const s = splitFee(fee, path);
        expect(s.shares.reduce((a, p) => a + p.amount, s.issuer.amount)).toBe(fee);
        expect(s.issuer.amount).toBeGreaterThanOrEqual(fee / 2n);
      }
    }
    expectCode(() => splitFee(-1n, ['M']), 'trust.invalid_argument');
    expectCode(() => splitFee(1n, []), 'trust.invalid_argument');
  });
});

describe('slashing', () => {
  const rules = accountingRules();

  it('worked example: issuer 50 %, vouchers 20 % times their weight, challenger half', () => {
    const s = slashAmounts(
      { did: 'M', stake: 10000n },
      [
        { did: 'A', weight: 900000, stake: 8000n },
        { did: 'C', weight: 250000, stake: 5000n },
      ],
      rules,
    );
    expect(s.target.amount).toBe(5000n);
    expect(s.vouchers).toEqual([
      { did: 'A', amount: 1440n },
      { did: 'C', amount: 250n },
    ]);
    expect(s.total).toBe(6690n);
    expect(s.challengerReward).toBe(3345n);
    expect(s.treasury).toBe(3345n);
  });

  it('rounds each slash down', () => {
    // 333 * 2000 * 333333 / 10^10 = 22.19... -> 22
    const s = slashAmounts({ did: 'M', stake: 3n }, [{ did: 'A', weight: 333333, stake: 333n }], rules);
    expect(s.target.amount).toBe(1n);
    expect(s.vouchers[0].amount).toBe(22n);
    expect(s.total).toBe(23n);
    expect(s.challengerReward).toBe(11n);
    expect(s.treasury).toBe(12n);
  });
});

describe('ledger', () => {
  function ledger(): Ledger {
    const l = new Ledger({ minStake: 1000n, minChallengeBond: 100n });
    l.deposit('M', 10000n);
    l.deposit('A', 8000n);
    l.deposit('C', 5000n);
    l.deposit('T', 2000n);
    return l;
  }

  it('lists issuers at or above the minimum stake', () => {
    const l = ledger();
    l.deposit('small', 999n);
    expect(l.isListed('M')).toBe(true);
    expect(l.isListed('small')).toBe(false);
    expect(l.isListed('nobody')).toBe(false);
    l.deposit('small', 1n);
    expect(l.isListed('small')).toBe(true);
    expect(l.listed().sort()).toEqual(['A', 'C', 'M', 'T', 'small']);
  });

  it('credits fees and keeps money conserved', () => {
    const l = ledger();
    l.payFee(1001n, ['T', 'A', 'C', 'M']);
    expect(l.balanceOf('M')).toBe(501n);
    expect(l.balanceOf('C')).toBe(167n);
    expect(l.balanceOf('A')).toBe(167n);
    expect(l.balanceOf('T')).toBe(166n);
    l.check();
    l.withdrawBalance('M', 500n);
    expect(l.balanceOf('M')).toBe(1n);
    expectCode(() => l.withdrawBalance('M', 2n), 'trust.insufficient_funds');
    l.check();
    expect(l.moneyIn - l.moneyOut).toBe(25000n + 1001n - 500n);
  });

  it('upheld challenge: slashes issuer and vouchers, pays the challenger, delists, balances', () => {
    const l = ledger();
    const c = l.openChallenge({
      challenger: 'X',
      target: 'M',
      bond: 200n,
      vouchers: [
        { did: 'A', weight: 900000 },
        { did: 'C', weight: 250000 },
        { did: 'A', weight: 900000 },
      ],
    });
    expect(c.vouchers).toHaveLength(2);
    expectCode(() => l.withdrawStake('M', 1n), 'trust.challenge_open');
    expectCode(() => l.withdrawStake('A', 1n), 'trust.challenge_open');
    l.withdrawStake('T', 1n);
    l.check();
    const out = l.resolveChallenge(c.id, true);
    expect(out.slash!.total).toBe(6690n);
    expect(l.stakeOf('M')).toBe(5000n);
    expect(l.stakeOf('A')).toBe(6560n);
    expect(l.stakeOf('C')).toBe(4750n);
    expect(l.balanceOf('X')).toBe(200n + 3345n);
    expect(l.treasury).toBe(3345n);
    expect(l.escrow).toBe(0n);
    expect(out.delisted).toEqual([]);
    l.check();
    l.withdrawStake('M', 1n); // unlocked
    expectCode(() => l.resolveChallenge(c.id, true), 'trust.unknown_challenge');
  });

  it('slashing below the minimum stake delists', () => {
    const l = new Ledger({ minStake: 1000n });
    l.deposit('M', 1500n);
    const c = l.openChallenge({ challenger: 'X', target: 'M', bond: 100n, vouchers: [] });
    const out = l.resolveChallenge(c.id, true);
    expect(l.stakeOf('M')).toBe(750n);
    expect(out.delisted).toEqual(['M']);
    expect(l.isListed('M')).toBe(false);
    l.check();
  });

  it('rejected challenge: the bond compensates the challenged issuer', () => {
    const l = ledger();
    const c = l.openChallenge({ challenger: 'X', target: 'M', bond: 150n, vouchers: [{ did: 'A', weight: 900000 }] });
    const out = l.resolveChallenge(c.id, false);
    expect(out.bondTo).toBe('M');
    expect(l.balanceOf('M')).toBe(150n);
    expect(l.stakeOf('M')).toBe(10000n);
    expect(l.stakeOf('A')).toBe(8000n);
    l.check();
  });

  it('refuses small bonds, unlisted targets and bad amounts', () => {
    const l = ledger();
    expectCode(() => l.openChallenge({ challenger: 'X', target: 'M', bond: 99n, vouchers: [] }), 'trust.insufficient_funds');
    expectCode(() => l.openChallenge({ challenger: 'X', target: 'nobody', bond: 100n, vouchers: [] }), 'trust.not_listed');
    expectCode(() => l.deposit('M', -5n), 'trust.invalid_argument');
    expectCode(() => l.withdrawStake('M', 10001n), 'trust.insufficient_funds');
    expectCode(() => new Ledger({ issuerSlashBp: 10001 }), 'trust.invalid_argument');
  });

  it('round-trips through JSON', () => {
    const l = ledger();
    l.payFee(77n, ['T', 'M']);
    l.openChallenge({ challenger: 'X', target: 'M', bond: 100n, vouchers: [{ did: 'T', weight: 500000 }] });
    const back = Ledger.fromJSON(JSON.parse(JSON.stringify(l.toJSON())));
    expect(back.toJSON()).toEqual(l.toJSON());
    expect(back.openChallenges()).toHaveLength(1);
    const broken = { ...l.toJSON(), treasury: '1' };
    expectCode(() => Ledger.fromJSON(broken), 'trust.invalid_record');
  });
});
