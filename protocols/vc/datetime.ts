/**
 * XML Schema 1.1 `dateTimeStamp` values, the time format of VC Data Model 2.0
 * (`validFrom`, `validUntil`) and Data Integrity (`created`, `expires`).
 *
 * We parse the fields ourselves instead of calling Date.parse: engines differ
 * on years outside 0000-9999, on `24:00:00` and on offsets, and a verifier on
 * a device (XS) must reach the same answer as the service (Node).
 */
import { VcError } from '../errors.ts';

/**
 * The regular expression given in VC DM 2.0 §"Representing Time" (reproduced
 * from XMLSCHEMA11-2), anchored. A timezone (`Z` or `±hh:mm`) is mandatory.
 */
export const DATE_TIME_STAMP_RE: RegExp =
  /^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;

const PARTS_RE =
  /^(-?)([0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(Z|([+-])([0-9]{2}):([0-9]{2}))$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Milliseconds since the Unix epoch for a `dateTimeStamp`, or undefined when
 * the value is not one.
 *
 * Choices: the regex accepts 31 days in every month; XMLSCHEMA11-2 (the
 * normative definition) does not, so 2023-02-30 is rejected here. `24:00:00`
 * is the first instant of the next day (as XML Schema says). Fractions below a
 * millisecond are truncated (JS time resolution); year 0 is 1 BCE, as in
 * XML Schema 1.1 and ISO 8601.
 */
export function parseDateTimeStamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || !DATE_TIME_STAMP_RE.test(value)) return undefined;
  const m = PARTS_RE.exec(value);
  if (!m) return undefined;
  const year = (m[1] === '-' ? -1 : 1) * Number(m[2]);
  const month = Number(m[3]);
  const day = Number(m[4]);
  if (day > daysInMonth(year, month)) return undefined;
  const hour = Number(m[5]);
  const minute = Number(m[6]);
  const second = Number(m[7]);
  const millis = m[8] ? Number((m[8] + '00').slice(0, 3)) : 0;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, millis);
  let t = d.getTime();
  if (m[9] !== 'Z') {
    const offset = (Number(m[11]) * 60 + Number(m[12])) * 60_000;
    t = m[10] === '+' ? t - offset : t + offset;
  }
  return Number.isFinite(t) ? t : undefined;
}

/** True when `value` is a valid `dateTimeStamp` (regex plus real calendar date). */
export function isDateTimeStamp(value: unknown): value is string {
  return parseDateTimeStamp(value) !== undefined;
}

/**
 * A Date as a UTC `dateTimeStamp` with second precision (`2023-02-24T23:36:38Z`),
 * the form the W3C examples and test vectors use; milliseconds are kept only
 * when non-zero so no information is lost.
 */
export function formatDateTimeStamp(date: Date): string {
  const t = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(t) || t < -62167219200000 || t > 253402300799999) {
    // outside 0000-01-01..9999-12-31 toISOString would emit ±YYYYYY, which is not a dateTimeStamp
    throw new VcError('vc.invalid_datetime', 'date is invalid or outside years 0000-9999');
  }
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso;
}
