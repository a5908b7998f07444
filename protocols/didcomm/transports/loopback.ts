/**
 * An in-memory transport: agents in one process (tests, the fleet
 * simulator, XS runs with no network) reach each other at `loop://<name>`.
 * Delivery awaits the receiver's handler, so a request and its whole
 * reply chain complete before send() resolves — deterministic, and no
 * timers (XS has none).
 */
import { DidcommError } from '../../errors.ts';
import { utf8Encode } from '../../encoding/bytes.ts';
import { DEFAULT_MAX_RECEIVE_BYTES } from './limits.ts';
import { parseContentType, sniffMediaType, type DidcommMediaType } from './media-type.ts';
import { InboundHandlers, uriScheme, type Endpoint, type InboundHandler, type MessageTransport, type SendOptions } from './types.ts';

export class LoopbackNetwork {
  private readonly nodes = new Map<string, LoopbackTransport>();
  /** Messages delivered so far (for tests and the simulator's counters). */
  delivered = 0;

  /** A transport reachable at `loop://<name>`; `didcomm.invalid_argument` if the name is taken. */
  transport(name: string, options: { maxReceiveBytes?: number } = {}): LoopbackTransport {
    if (!/^[A-Za-z0-9._~-]{1,64}$/.test(name)) throw new DidcommError('didcomm.invalid_argument', 'loopback names are 1-64 unreserved characters');
    if (this.nodes.has(name)) throw new DidcommError('didcomm.invalid_argument', `loop://${name} is taken`);
    const t = new LoopbackTransport(this, name, options.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES);
    this.nodes.set(name, t);
    return t;
  }

  /** @internal */
  node(name: string): LoopbackTransport | undefined {
    return this.nodes.get(name);
  }

  /** @internal */
  remove(name: string): void {
    this.nodes.delete(name);
  }
}

export class LoopbackTransport implements MessageTransport {
  readonly name = 'loopback';
  readonly schemes: readonly string[] = ['loop'];
  readonly maxReceiveBytes: number;
  readonly uri: string;
  private readonly handlers = new InboundHandlers();
  private closed = false;

  constructor(
    private readonly network: LoopbackNetwork,
    readonly address: string,
    maxReceiveBytes: number,
  ) {
    this.maxReceiveBytes = maxReceiveBytes;
    this.uri = `loop://${address}`;
  }

  async send(endpoint: Endpoint, packed: string | Uint8Array, options: SendOptions = {}): Promise<void> {
    if (this.closed) throw new DidcommError('didcomm.transport_failed', 'transport is closed');
    if (uriScheme(endpoint.uri) !== 'loop') throw new DidcommError('didcomm.unsupported_endpoint', 'not a loop:// endpoint');
    const target = this.network.node(endpoint.uri.slice('loop://'.length));
    if (!target) throw new DidcommError('didcomm.transport_failed', 'nobody listens at that loop:// address');
    const data = typeof packed === 'string' ? utf8Encode(packed) : packed;
    if (data.length > target.maxReceiveBytes) throw new DidcommError('didcomm.too_large', `message of ${data.length} bytes exceeds the receiver's max_receive_bytes`);
    const mediaType: DidcommMediaType | undefined = options.mediaType ? parseContentType(options.mediaType) : typeof packed === 'string' ? sniffMediaType(packed) : undefined;
    this.network.delivered++;
    await target.deliver(data, mediaType);
  }

  /** @internal */
  async deliver(data: Uint8Array, mediaType: DidcommMediaType | undefined): Promise<void> {
    await this.handlers.deliver({ data, transport: this.name, address: this.uri, ...(mediaType ? { mediaType } : {}) });
  }

  onMessage(handler: InboundHandler): () => void {
    return this.handlers.add(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.network.remove(this.address);
  }
}
