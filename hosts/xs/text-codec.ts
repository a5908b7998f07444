/**
 * UTF-8 TextEncoder/TextDecoder for engines that lack them. Moddable's XS
 * has no such globals (DESIGN.md §3); xsnap does, so in the XS test run this
 * stays dormant unless the engine changes. A Moddable host can install the
 * same pair. Behaviour follows the WHATWG Encoding Standard: lone surrogates
 * encode as U+FFFD; decoding replaces each maximal invalid subsequence with
 * one U+FFFD (or throws a TypeError with `fatal`) and drops a leading BOM.
 * Platform-neutral: no host API.
 */

/** UTF-8 bytes of `s` (WHATWG "UTF-8 encode"). */
export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 3); // a UTF-16 unit never needs more than 3 bytes
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = c <= 0xdbff && i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    }
    if (c < 0x80) out[n++] = c;
    else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    } else {
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 63);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return out.slice(0, n);
}

/** Text of UTF-8 `bytes` (WHATWG "UTF-8 decode" with BOM sniffing). */
export function utf8Decode(bytes: Uint8Array, fatal = false): string {
  const units: number[] = [];
  let text = '';
  const flush = () => {
    text += String.fromCharCode.apply(null, units);
    units.length = 0;
  };
  const emit = (cp: number) => {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else units.push(cp);
    // apply() puts every unit on the XS stack (4096 slots in xsnap, fewer on
    // a device): keep the batches small.
    if (units.length >= 64) flush();
  };
  const error = () => {
    if (fatal) throw new TypeError('The encoded data was not valid UTF-8');
    emit(0xfffd);
  };
  let cp = 0;
  let needed = 0;
  let seen = 0;
  let lower = 0x80;
  let upper = 0xbf;
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i];
    if (needed === 0) {
      if (b <= 0x7f) emit(b);
      else if (b >= 0xc2 && b <= 0xdf) {
        needed = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f;
        needed = 2;
        cp = b & 0xf;
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f;
        needed = 3;
        cp = b & 0x7;
      } else error();
      continue;
    }
    if (b < lower || b > upper) {
      cp = needed = seen = 0;
      lower = 0x80;
      upper = 0xbf;
      error();
      i--; // the byte starts over as a possible lead byte
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
    if (++seen === needed) {
      emit(cp);
      cp = needed = seen = 0;
    }
  }
  if (needed !== 0) error();
  flush();
  return text;
}

function toBytes(input: ArrayBuffer | ArrayBufferView): Uint8Array {
  return input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
}

/** A minimal UTF-8-only TextEncoder. */
export class Utf8TextEncoder {
  readonly encoding = 'utf-8';
  encode(input = ''): Uint8Array {
    return utf8Encode(String(input));
  }
}

/** A minimal UTF-8-only TextDecoder (`fatal` supported; no streaming). */
export class Utf8TextDecoder {
  readonly encoding = 'utf-8';
  readonly fatal: boolean;
  readonly ignoreBOM = false;
  constructor(label = 'utf-8', options: { fatal?: boolean } = {}) {
    if (!/^\s*(utf-?8|unicode-1-1-utf-8)\s*$/i.test(label)) throw new RangeError(`The "${label}" encoding is not supported`);
    this.fatal = options.fatal === true;
  }
  decode(input?: ArrayBuffer | ArrayBufferView): string {
    return input === undefined ? '' : utf8Decode(toBytes(input), this.fatal);
  }
}

/** Installs the pair on `target` (normally globalThis) where missing; returns what it installed. */
export function installTextCodecs(target: object): string[] {
  const g = target as { TextEncoder?: unknown; TextDecoder?: unknown };
  const installed: string[] = [];
  if (typeof g.TextEncoder !== 'function') {
    g.TextEncoder = Utf8TextEncoder;
    installed.push('TextEncoder');
  }
  if (typeof g.TextDecoder !== 'function') {
    g.TextDecoder = Utf8TextDecoder;
    installed.push('TextDecoder');
  }
  return installed;
}
