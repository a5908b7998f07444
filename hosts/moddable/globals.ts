/**
 * Globals the neutral code expects and Moddable does not define
 * (DESIGN.md §3): TextEncoder and TextDecoder, on the SDK's native
 * `text/encoder` and `text/decoder` modules.
 *
 * This module is preloaded (run by the linker, its result kept in flash),
 * and so are @noble/* — whose modules encode strings while they load
 * (ed25519's FROST context strings). Native functions cannot run in the
 * linker ("link: unavailable function"), so each call tries the native
 * codec and falls back to the pure-JS UTF-8 codec of hosts/xs/text-codec.ts
 * (WHATWG behaviour, the same results); on the device the native path
 * answers. Preloaded first, so the globals exist before any protocol module.
 */
import NativeTextDecoder from 'moddable:text/decoder';
import NativeTextEncoder from 'moddable:text/encoder';
import { Utf8TextDecoder, Utf8TextEncoder } from '../xs/text-codec.ts';

class HostTextEncoder extends Utf8TextEncoder {
  override encode(input = ''): Uint8Array {
    try {
      return new NativeTextEncoder().encode(String(input));
    } catch {
      return super.encode(input);
    }
  }
}

class HostTextDecoder extends Utf8TextDecoder {
  override decode(input?: ArrayBuffer | ArrayBufferView): string {
    if (input === undefined) return '';
    let native: { decode(input?: Uint8Array | ArrayBufferLike): string } | undefined;
    try {
      native = new NativeTextDecoder('utf-8', { fatal: this.fatal });
    } catch {
      native = undefined; // in the linker
    }
    if (!native) return super.decode(input);
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    return native.decode(bytes);
  }
}

const g = globalThis as Record<string, unknown>;
if (typeof g.TextEncoder !== 'function') g.TextEncoder = HostTextEncoder;
if (typeof g.TextDecoder !== 'function') g.TextDecoder = HostTextDecoder;

/**
 * cbor-x reads `TypedArray.name` while it loads (decode.js
 * registerTypedArray); the XS linker's built-in constructors answered
 * undefined for it when cbor-x/decode was preloaded. Give the typed array
 * constructors their standard names where missing, before anything freezes
 * them.
 */
const typedArrays: Record<string, unknown> = {
  Uint8Array,
  Uint8ClampedArray,
  Uint16Array,
  Uint32Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigUint64Array: g.BigUint64Array,
  BigInt64Array: g.BigInt64Array,
};
for (const [name, ctor] of Object.entries(typedArrays)) {
  if (typeof ctor !== 'function' || typeof (ctor as { name?: unknown }).name === 'string') continue;
  try {
    Object.defineProperty(ctor, 'name', { value: name, configurable: true });
  } catch {
    /* frozen already: nothing to do */
  }
}

/**
 * Preloading freezes the built-ins, so `this.name = …` in an Error subclass
 * (protocols/errors.ts SsiotError, and npm code) would hit the frozen
 * `Error.prototype.name` ("set name: not writable"). The Moddable SDK's
 * documented remedy (documentation/xs/preload.md): an accessor whose setter
 * defines the name on the instance, installed by a preloaded module before
 * the freeze.
 */
try {
  Object.defineProperty(Error.prototype, 'name', {
    get() {
      return 'Error';
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, 'name', { value, writable: true, configurable: true });
    },
  });
} catch {
  /* already frozen (not preloaded): SsiotError would fail to name itself */
}
