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

/**
 * A preloaded RegExp (a module-level one, now in flash) crashes XS 8.2.1's
 * `exec` now and then: with no capture buffer of its own it matches into a
 * temporary one (xsRegExp.c fx_RegExp_prototype_exec, `data == C_NULL`),
 * and reading the captures back segfaults after the allocations that follow
 * (xsRegExp.c:547/564; a module `export const RE = /^([a-z]+):([a-z]+)$/`,
 * preloaded, and a loop of `RE.exec(…)` reproduce it). `test`, `match`,
 * `replace` and `split` all go through `exec`, so a frozen RegExp runs
 * through a copy made in RAM on its first use, kept in a Map made at run
 * time (one made now would be frozen too; a flash object cannot be a
 * WeakMap key). Installed before the linker freezes the built-ins.
 */
const nativeExec = RegExp.prototype.exec;
let ramCopies: Map<RegExp, RegExp> | undefined;
try {
  Object.defineProperty(RegExp.prototype, 'exec', {
    value: function exec(this: RegExp, input: string): RegExpExecArray | null {
      if (!Object.isFrozen(this)) return nativeExec.call(this, input);
      ramCopies ??= new Map();
      let copy = ramCopies.get(this);
      if (!copy) {
        copy = new RegExp(this.source, this.flags);
        ramCopies.set(this, copy);
      }
      copy.lastIndex = this.lastIndex;
      return nativeExec.call(copy, input);
    },
    writable: true,
    configurable: true,
  });
} catch {
  /* already frozen (not preloaded): nothing in flash to work around */
}
