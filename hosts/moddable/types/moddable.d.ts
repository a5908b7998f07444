/**
 * Declarations of the Moddable SDK modules hosts/moddable uses, written to
 * match the SDK's own typings (Moddable-OpenSource/moddable, typings/ at
 * 48ee02d, SDK 8.2.1): the npm package `@moddable/typings` (5.6.0, a year
 * old) has no `embedded:storage/key-value`, `embedded:storage/flash`,
 * `embedded:update`, `embedded:network/http/server` or `crypt`, and its
 * globals (trace, ByteBuffer, …) would leak into the Node typecheck, so only
 * ambient *modules* are declared here, never globals. Only the members this
 * host calls are declared; signatures are the SDK's.
 *
 * SDK modules outside `embedded:` are imported as `moddable:<name>` (XS
 * and the linker strip the `moddable:` scheme, xsPlatforms.c fxFindModule,
 * xsl.c): `qrcode` and `net` would otherwise collide with the npm `qrcode`
 * package and Node's `net` in the Node typecheck, which also covers hosts/.
 */

type ModdableByteBuffer = ArrayBufferLike | ArrayBufferView;

// typings/embedded/storage/key-value.d.ts
declare module 'embedded:storage/key-value' {
  export type StorageFormat = 'buffer' | 'string' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'uint64' | 'int64';
  export interface StorageOpenOptions {
    format?: StorageFormat;
    path: string;
    mode?: 'r' | 'r+';
  }
  export class Storage {
    close(): void;
    delete(key: string): void;
    read(key: string): ArrayBuffer | string | number | bigint | undefined;
    write(key: string, value: ModdableByteBuffer | string | number | bigint): void;
    [Symbol.iterator](): IterableIterator<string>;
    format: StorageFormat;
  }
  const KeyValueStorage: { open(options: StorageOpenOptions): Storage };
  export default KeyValueStorage;
}

// typings/embedded/storage/flash.d.ts
declare module 'embedded:storage/flash' {
  export interface FlashOpenOptions {
    path: string;
    mode?: 'r' | 'r+';
  }
  export interface FlashStatus {
    size: number;
    blockLength: number;
    blocks: number;
    writeAlign: number;
    eraseValue: number;
  }
  export class Flash {
    close(): void;
    eraseBlock(start: number, end?: number): void;
    read(byteLength: number, byteOffset: number): ArrayBuffer;
    write(buffer: ModdableByteBuffer, byteOffset: number): void;
    status(): FlashStatus;
    format: 'buffer';
  }
  const FlashStorage: { open(options: FlashOpenOptions): Flash };
  export default FlashStorage;
}

// typings/embedded/update.d.ts
declare module 'embedded:update' {
  import type { Flash } from 'embedded:storage/flash';
  export interface UpdateOpenOptions {
    partition: Flash;
    mode?: 'a' | 'w';
    byteLength?: number;
  }
  export interface Updater {
    close(): void;
    complete(): void;
    write(bytes: ModdableByteBuffer, byteOffset?: number): void;
    format: 'buffer';
  }
  const Update: { open(options: UpdateOpenOptions): Updater };
  export default Update;
}

// typings/crypt.d.ts
declare module 'moddable:crypt' {
  type DigestType = 'MD5' | 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512';
  export class Digest {
    constructor(type: DigestType);
    write(message: string | ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
    get blockSize(): number;
    get outputSize(): number;
    update(message: string | ArrayBuffer): void;
  }
}

// typings/timer.d.ts
declare module 'moddable:timer' {
  export type TimerCallback = (timer: Timer) => void;
  class Timer {
    private constructor();
    static set: (callback: TimerCallback, interval?: number, repeat?: number) => Timer;
    static clear: (timer: Timer | undefined | null) => void;
    private brand: boolean;
  }
  export { Timer as default };
}

// typings/qrcode.d.ts
declare module 'moddable:qrcode' {
  interface QrCode extends ArrayBuffer {
    size: number;
  }
  const qrCode: (options: { input: string | ModdableByteBuffer; maxVersion?: number; bitmap?: number | boolean; fit?: number }) => QrCode;
  export { qrCode as default };
}

// typings/text/encoder.d.ts, text/decoder.d.ts
declare module 'moddable:text/encoder' {
  const TextEncoder: { new (): { encode(input: string): Uint8Array } };
  export { TextEncoder as default };
}
declare module 'moddable:text/decoder' {
  const TextDecoder: { new (label?: 'utf-8', options?: { fatal?: boolean; ignoreBOM?: boolean }): { decode(input?: Uint8Array | ArrayBufferLike): string } };
  export { TextDecoder as default };
}

// typings/embedded_io/digital.d.ts
declare module 'embedded:io/digital' {
  type Edge = number;
  class Digital {
    static readonly Input: number;
    static readonly InputPullUp: number;
    static readonly InputPullDown: number;
    static readonly Rising: Edge;
    static readonly Falling: Edge;
    constructor(options: { pin: number | string; mode: number; edge?: Edge; onReadable?: (this: Digital) => void });
    read(): 0 | 1;
    close(): void;
  }
  export default Digital;
}

// typings/embedded_io/socket/{listener,tcp,udp}.d.ts (opaque here: handed to the network clients as `io`)
declare module 'embedded:io/socket/listener' {
  const Listener: abstract new (...args: never[]) => object;
  export default Listener;
}
declare module 'embedded:io/socket/tcp' {
  const TCP: abstract new (...args: never[]) => object;
  export default TCP;
}
declare module 'embedded:io/socket/udp' {
  const UDP: abstract new (...args: never[]) => object;
  export default UDP;
}
declare module 'embedded:network/dns/resolver/udp' {
  const Resolver: abstract new (...args: never[]) => object;
  export default Resolver;
}

// typings/embedded_network/mqtt/client.d.ts
declare module 'embedded:network/mqtt/client' {
  export interface ReadableOptions {
    more: boolean;
    topic?: string;
    QoS?: number;
    byteLength?: number;
  }
  export interface ControlMessage {
    operation: number;
    id: number;
    payload?: ModdableByteBuffer;
  }
  export interface Options {
    host: string;
    port?: number;
    user?: string;
    password?: string;
    id?: string;
    clean?: boolean;
    keepAlive?: number;
    onReadable?: (count: number, options: ReadableOptions) => void;
    onWritable?: (count: number) => void;
    /** The SDK's client (examples/io/tcp/mqttclient) calls it with one message object; its typings say (opcode, message). */
    onControl?: (message: ControlMessage) => void;
    onClose?: () => void;
    onError?: (error: unknown) => void;
    dns: Record<string, unknown>;
    socket: Record<string, unknown>;
  }
  export interface WriteOptions {
    operation?: number;
    id?: number;
    topic?: string;
    QoS?: number;
    retain?: boolean;
    byteLength?: number;
    items?: { topic: string; QoS?: number }[];
  }
  export default class MQTTClient {
    constructor(options: Options);
    read(count: number): ArrayBuffer;
    /** Options on a packet's first write; none on the later fragments of a PUBLISH (byteLength said how many follow). */
    write(data: ModdableByteBuffer | undefined, options?: WriteOptions): number;
    close(): void;
    static CONNACK: 2;
    static PUBLISH: 3;
    static SUBSCRIBE: 8;
    static SUBACK: 9;
  }
}

// typings/embedded_network/http/client.d.ts
declare module 'embedded:network/http/client' {
  export interface HTTPRequest {
    read(byteLength?: number): ArrayBuffer | undefined;
    write(value: ModdableByteBuffer | undefined): void;
  }
  export interface RequestOptions {
    method?: string;
    path?: string;
    headers?: Map<string, string | string[]>;
    onHeaders?: (this: HTTPRequest, status: number, headers: Map<string, string>, statusText: string) => void;
    onReadable?: (this: HTTPRequest, count: number) => void;
    onWritable?: (this: HTTPRequest, count: number) => void;
    onDone?: (this: HTTPRequest, error: Error | null) => void;
  }
  export default class HTTPClient {
    constructor(options: { socket?: unknown; port?: number; host: string; dns?: unknown; onError?: (err: unknown) => void });
    request(options: RequestOptions): HTTPRequest;
    close(): void;
  }
}

// typings/embedded_network/http/server.d.ts
declare module 'embedded:network/http/server' {
  export interface HTTPRequest {
    method: string;
    path: string;
    headers: Map<string, string>;
  }
  export interface HTTPResponse {
    status: number;
    headers: Map<string, string | number>;
  }
  export interface HTTPConnectionHandlers {
    onRequest?(this: HTTPConnection, request: HTTPRequest): void;
    onReadable?(this: HTTPConnection, count: number): void;
    onResponse?(this: HTTPConnection, response: HTTPResponse): void;
    onWritable?(this: HTTPConnection, count: number): void;
    onDone?(this: HTTPConnection): void;
    onError?(this: HTTPConnection): void;
  }
  export interface HTTPConnection {
    close(): void;
    accept(options: HTTPConnectionHandlers): void;
    respond(options: HTTPResponse): void;
    read(count?: number): ArrayBuffer | undefined;
    write(bytes?: ModdableByteBuffer): number;
    route: HTTPConnectionHandlers;
  }
  export default class HTTPServer {
    constructor(options: { io: unknown; port?: number; onConnect(this: HTTPServer, connection: HTTPConnection): void });
    close(): void;
    readonly port: number;
  }
}

// hosts/moddable/native/random.js (ours: hardware RNG, esp_fill_random / getrandom)
declare module 'ssiot/random' {
  /** Fills `buffer` with bytes from the platform's hardware / OS random source. */
  export function fill(buffer: ArrayBuffer): void;
}

// hosts/moddable/native/curve25519.js (ours: X25519 / Ed25519 on libsodium; lin and ESP32 builds only)
declare module 'ssiot/curve25519' {
  /** crypto_scalarmult_curve25519_base: X25519(secret, 9). Lengths are checked (RangeError). */
  export function x25519PublicKey(secret: ArrayBuffer): ArrayBuffer;
  /** crypto_scalarmult_curve25519; all zero when libsodium refuses a low-order public key. */
  export function x25519(secret: ArrayBuffer, publicKey: ArrayBuffer): ArrayBuffer;
  /** crypto_sign_ed25519_seed_keypair's public key. */
  export function ed25519PublicKey(seed: ArrayBuffer): ArrayBuffer;
  /** crypto_sign_ed25519_detached with the key pair of `seed` (wiped after use). */
  export function ed25519Sign(message: ArrayBuffer, seed: ArrayBuffer): ArrayBuffer;
  /** crypto_sign_ed25519_verify_detached == 0. */
  export function ed25519Verify(signature: ArrayBuffer, message: ArrayBuffer, publicKey: ArrayBuffer): boolean;
  /** sodium_version_string(). */
  export function version(): string;
}

// hosts/moddable/native/ota.js (ours: the ESP-IDF OTA calls embedded:update does not expose)
declare module 'ssiot/ota' {
  /** Label of the running app partition ("ota_0", "ota_1", "factory"). */
  export function running(): string;
  /** True while the running image is in ESP-IDF's PENDING_VERIFY state (first boot after an update). */
  export function pendingVerify(): boolean;
  /** Boot partition for the next start. */
  export function setBoot(label: string): void;
  /** esp_ota_mark_app_valid_cancel_rollback. */
  export function markValid(): void;
  export function restart(): void;
}

// mc/config (generated by mcconfig from the manifest's "config")
declare module 'moddable:mc/config' {
  const config: Record<string, unknown>;
  export default config;
}

// typings/preference.d.ts
declare module 'moddable:preference' {
  const Preference: {
    set: (domain: string, key: string, value: string | boolean | number | ArrayBuffer) => void;
    get: (domain: string, key: string) => string | boolean | number | ArrayBuffer | undefined;
    delete: (domain: string, key: string) => void;
    keys: (domain: string) => string[];
  };
  export { Preference as default };
}

// typings/net.d.ts
declare module 'moddable:net' {
  const Net: { get(what: 'IP' | 'MAC', mode?: 'station' | 'ap' | 'ethernet'): string | undefined };
  export { Net as default };
}

// typings/commodetto (the members display.ts uses)
declare module 'moddable:commodetto/Poco' {
  export default class Poco {
    constructor(pixelsOut: unknown);
    readonly width: number;
    readonly height: number;
    begin(): void;
    end(): void;
    makeColor(r: number, g: number, b: number): number;
    fillRectangle(color: number, x: number, y: number, width: number, height: number): void;
    drawQRCode(qr: ArrayBuffer, x: number, y: number, moduleSize: number, color: number): void;
  }
}

// typings/time.d.ts
// typings/Resource.d.ts (the selftest app reads its vector files as resources)
declare module 'moddable:Resource' {
  export default class Resource {
    constructor(path: string);
    readonly byteLength: number;
    slice(begin: number, end?: number): ArrayBuffer;
  }
}

declare module 'moddable:time' {
  const Time: { readonly ticks: number };
  export { Time as default };
}

// typings/instrumentation.d.ts (the names this host reads; the SDK's list has more)
declare module 'moddable:instrumentation' {
  type InstrumentationKeys =
    | 'System Free Memory'
    | 'XS Slot Heap Used'
    | 'XS Chunk Heap Used'
    | 'XS Keys Used'
    | 'XS Garbage Collection Count'
    | 'XS Modules Loaded'
    | 'XS Stack Used'
    | 'XS Promises Settled';
  const Instrumentation: {
    get: (what: number | undefined) => number | undefined;
    map: (name: InstrumentationKeys) => number | undefined;
    name: (what: number | undefined) => string | undefined;
  };
  export { Instrumentation as default };
}

// typings/debug.d.ts
declare module 'moddable:debug' {
  const Debug: { gc: (enable?: boolean) => void };
  export { Debug as default };
}
