/**
 * Manual setup codes: shapes, separators, the Verhoeff check digit (known
 * values, every single-digit typo and every adjacent swap caught), random
 * generation and printing.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { bytesToHex as hex, utf8Encode } from '../encoding/bytes.ts';
import { formatSetupCode, generateSetupCode, parseSetupCode, setupCodePassword, verhoeffCheckDigit } from './setup-code.ts';

describe('manual setup codes', () => {
  it('Verhoeff: known check digits', () => {
    expect(verhoeffCheckDigit('236')).toBe('3'); // Verhoeff's worked example
    expect(verhoeffCheckDigit('12345')).toBe('1');
    // Matter's published test manual pairing code 3497-011-2332 ends in its Verhoeff digit.
    expect(verhoeffCheckDigit('3497011233')).toBe('2');
    expect(parseSetupCode('3497-011-2332')).toBe('34970112332');
    expectCode(() => verhoeffCheckDigit('12a'), 'pake.invalid_argument');
  });

  it('accepts 8 or 11 digits with spaces and hyphens; the password is the digits', () => {
    expect(parseSetupCode('1234-567-8902')).toBe('12345678902');
    expect(parseSetupCode(' 1234 567 8902\t')).toBe('12345678902');
    expect(parseSetupCode('2020-2021')).toBe('20202021');
    expect(hex(setupCodePassword('1234-567-8902'))).toBe(hex(utf8Encode('12345678902')));
  });

  it('refuses other shapes, without repeating the code in the message', () => {
    const bad = ['', '1234567', '123456789', '1234567890', '123456789012', '1234-567-890a', '１２３４５６７８', '1234.5678', '1'.repeat(80)];
    for (const input of bad) expectCode(() => parseSetupCode(input), 'pake.invalid_code');
    expectCode(() => parseSetupCode(12345678 as unknown as string), 'pake.invalid_code');
    let message = '';
    try {
      parseSetupCode('12345678903');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/check digit/);
    expect(message).not.toContain('1234');
  });

  it('the check digit catches every single-digit typo and every swap of neighbours', () => {
    const code = '12345678902';
    let caught = 0;
    for (let i = 0; i < code.length; i++) {
      for (let d = 0; d < 10; d++) {
        if (String(d) === code[i]) continue;
        expectCode(() => parseSetupCode(code.slice(0, i) + d + code.slice(i + 1)), 'pake.invalid_code');
        caught++;
      }
      if (i + 1 < code.length && code[i] !== code[i + 1]) {
        expectCode(() => parseSetupCode(code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2)), 'pake.invalid_code');
        caught++;
      }
    }
    expect(caught).toBe(11 * 9 + 10);
  });

  it('generates valid codes of both lengths and prints them grouped', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const long = generateSetupCode();
      expect(long).toMatch(/^[0-9]{11}$/);
      expect(parseSetupCode(long)).toBe(long);
      expect(formatSetupCode(long)).toBe(`${long.slice(0, 4)}-${long.slice(4, 7)}-${long.slice(7)}`);
      const short = generateSetupCode(8);
      expect(short).toMatch(/^[0-9]{8}$/);
      expect(formatSetupCode(short)).toBe(`${short.slice(0, 4)}-${short.slice(4)}`);
      seen.add(long);
    }
    expect(seen.size).toBe(20);
    expectCode(() => generateSetupCode(6 as 8), 'pake.invalid_argument');
  });
});
