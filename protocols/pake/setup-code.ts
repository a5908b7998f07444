/**
 * Manual setup codes: the digits printed on a device (or shown on its
 * display) that a person types into the phone when the label QR cannot be
 * scanned. They are the SPAKE2+ password.
 *
 * Two shapes, both all-digit so any keypad works:
 * - 11 digits, like Matter's manual pairing code: 10 random digits and a
 *   Verhoeff check digit, printed 4-3-4 ("1234-567-8902"). The check digit
 *   catches every single-digit typo and every swap of neighbours before an
 *   attempt is spent (a device allows few failed attempts). Matter's bit
 *   layout (discriminator, passcode, VID/PID flag) is NOT used: ssiot finds
 *   the device through its OOB invitation, so all 10 digits are secret
 *   (~33 bits).
 * - 8 digits, all random (~26.6 bits, like a Matter passcode), printed
 *   4-4, for displays with little room. No check digit.
 *
 * Typing is forgiving: spaces and hyphens are ignored. The password is the
 * UTF-8 (ASCII) of the remaining digits, check digit included; what the
 * check digit adds is no secret, and "the digits as printed" is the
 * simplest rule for another implementation to follow.
 *
 * Error messages never repeat the code.
 */
import { getCrypto } from '../crypto/index.ts';
import { utf8Encode } from '../encoding/bytes.ts';
import { PakeError } from '../errors.ts';

export type SetupCodeLength = 8 | 11;

/** Longest input accepted before separators are stripped (a code with generous spacing). */
const MAX_INPUT = 64;

// Verhoeff's dihedral group D5: multiplication table, position permutation, inverses.
const D = ['0123456789', '1234067895', '2340178956', '3401289567', '4012395678', '5987604321', '6598710432', '7659821043', '8765932104', '9876543210'];
const P = ['0123456789', '1576283094', '5803796142', '8916043527', '9453126870', '4286573901', '2793806415', '7046913258'];
const INV = '0432156789';

const at = (row: string, i: number): number => row.charCodeAt(i) - 48;

/** Verhoeff checksum of `digits` (rightmost first), with `offset` 1 when the check digit is still to be appended. */
function verhoeff(digits: string, offset: 0 | 1): number {
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = at(digits, digits.length - 1 - i);
    c = at(D[c], at(P[(i + offset) % 8], digit));
  }
  return c;
}

/** The Verhoeff check digit to append to a string of decimal digits. */
export function verhoeffCheckDigit(digits: string): string {
  if (typeof digits !== 'string' || !/^[0-9]+$/.test(digits)) throw new PakeError('pake.invalid_argument', 'Verhoeff needs decimal digits');
  return String(at(INV, verhoeff(digits, 1)));
}

/**
 * A typed or printed setup code to its canonical digits: separators
 * removed, 8 or 11 digits, and for 11 a valid check digit. Anything else is
 * `pake.invalid_code` (checked before any attempt is spent).
 */
export function parseSetupCode(input: string): string {
  if (typeof input !== 'string' || input.length > MAX_INPUT) throw new PakeError('pake.invalid_code', 'a setup code is 8 or 11 digits');
  const digits = input.replace(/[\s-]/g, '');
  if (!/^[0-9]+$/.test(digits) || (digits.length !== 8 && digits.length !== 11)) {
    throw new PakeError('pake.invalid_code', 'a setup code is 8 or 11 digits');
  }
  if (digits.length === 11 && verhoeff(digits, 0) !== 0) throw new PakeError('pake.invalid_code', 'the setup code has a typo (check digit mismatch)');
  return digits;
}

/** The SPAKE2+ password of a setup code: UTF-8 of its canonical digits. */
export function setupCodePassword(input: string): Uint8Array {
  return utf8Encode(parseSetupCode(input));
}

/** A fresh code from the facade's randomness (factory side). Uniform digits: bytes >= 250 are redrawn. */
export function generateSetupCode(length: SetupCodeLength = 11): string {
  if (length !== 8 && length !== 11) throw new PakeError('pake.invalid_argument', 'setup codes have 8 or 11 digits');
  const random = length === 11 ? 10 : 8;
  let digits = '';
  while (digits.length < random) {
    for (const b of getCrypto().randomBytes(2 * random)) {
      if (b < 250 && digits.length < random) digits += String(b % 10);
    }
  }
  return length === 11 ? digits + verhoeffCheckDigit(digits) : digits;
}

/** For printing: 11 digits as 4-3-4, 8 digits as 4-4 (the input is parsed first). */
export function formatSetupCode(input: string): string {
  const d = parseSetupCode(input);
  return d.length === 11 ? `${d.slice(0, 4)}-${d.slice(4, 7)}-${d.slice(7)}` : `${d.slice(0, 4)}-${d.slice(4)}`;
}
