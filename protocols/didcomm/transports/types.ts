/**
 * The neutral shape of a DIDComm transport binding. A device host
 * (hosts/moddable, hosts/node) and the manufacturer service implement it
 * over MQTT or HTTP; everything above (router, outbox) sees only this, so
 * protocol code never knows which wire a message used (DIDComm v2
 * "Transports": delivery only, no results flow back on the same channel).
 */
import type { DidcommMediaType } from './media-type.ts';

/**
 * Where to deliver one packed message: a service endpoint `uri` (from a
 * DIDCommMessaging service) and the DID it serves. MQTT needs the DID
 * (the inbox topic is derived from it); HTTP ignores it.
 */
export interface Endpoint {
  uri: string;
  /** The recipient DID this endpoint was found for (from the DID document). */
  did?: string;
}

export interface SendOptions {
  /** Label for the bytes; default: sniffed from the JSON, else encrypted. */
  mediaType?: DidcommMediaType;
}

/** One message as a transport received it, before any parsing. */
export interface InboundMessage {
  /** The raw bytes, at most the binding's `maxReceiveBytes`. */
  data: Uint8Array;
  /** The media type the wire declared, normalized; undefined when the wire has none (MQTT 3.1.1). */
  mediaType?: DidcommMediaType;
  /** Binding name (`mqtt`, `http`), for logs and metrics. */
  transport: string;
  /** Where it arrived (MQTT topic, HTTP path). */
  address?: string;
}

/**
 * Called once per accepted message. The binding acknowledges at the wire
 * level (MQTT PUBACK) only after the returned promise settles, so a crash
 * mid-processing means redelivery, not loss; errors thrown here are caught
 * by the binding (they never reach the wire).
 */
export type InboundHandler = (message: InboundMessage) => void | Promise<void>;

export interface MessageTransport {
  /** Binding name, e.g. `mqtt`, `http`. */
  readonly name: string;
  /** URI schemes this binding can deliver to (without `:`), e.g. ['http', 'https']. */
  readonly schemes: readonly string[];
  /** Largest message this binding accepts, in bytes (the `max_receive_bytes` constraint). */
  readonly maxReceiveBytes: number;
  /**
   * Deliver `packed` to `endpoint`. Resolves when the next hop accepted it
   * (HTTP 2xx, MQTT PUBACK); rejects with a DidcommError
   * (`didcomm.transport_failed`, `didcomm.too_large`, `didcomm.unsupported_endpoint`).
   */
  send(endpoint: Endpoint, packed: string | Uint8Array, options?: SendOptions): Promise<void>;
  /** Register the receiver; returns a function that unregisters it. */
  onMessage(handler: InboundHandler): () => void;
  /** Stop receiving and release the connection / listener. */
  close(): Promise<void>;
}

/** The scheme of a URI (lowercase, without `:`), or undefined if it has none. */
export function uriScheme(uri: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  return m ? m[1].toLowerCase() : undefined;
}

/**
 * The handlers a binding delivers to: registration with an unsubscribe
 * function, and delivery that awaits each handler in turn and keeps a
 * handler's failure from reaching the wire or the other handlers.
 */
export class InboundHandlers {
  private readonly list: InboundHandler[] = [];

  add(handler: InboundHandler): () => void {
    this.list.push(handler);
    return () => {
      const i = this.list.indexOf(handler);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  get size(): number {
    return this.list.length;
  }

  clear(): void {
    this.list.length = 0;
  }

  async deliver(message: InboundMessage, handlers: readonly InboundHandler[] = this.list): Promise<void> {
    for (const h of [...handlers]) {
      try {
        await h(message);
      } catch {
        // the receiver's failure stays the receiver's (as on a real wire)
      }
    }
  }
}
