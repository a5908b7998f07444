/**
 * The outbound path: a plaintext message in, packed and delivered to each
 * recipient's DIDCommMessaging endpoint over whichever registered transport
 * speaks its URI scheme. This is the `send` a Router is built with.
 *
 * Per recipient DID: resolve its messaging service (did-keys.ts follows a
 * DID-as-endpoint mediator), pick the transport by scheme, pack —
 * authcrypt when the message has `from`, anoncrypt otherwise, wrapped in
 * routing 2.0 forwards when the service lists routing keys — then send.
 * For MQTT the endpoint's DID is the one whose inbox gets the bytes: the
 * first mediator's when there are routing keys (it unwraps the forward),
 * else the recipient's.
 *
 * A service whose `accept` list lacks `didcomm/v2` cannot take our
 * envelopes: `didcomm.cant_use_endpoint` (the problem code
 * `e.p.xfer.cant-use-endpoint`), never a silent send in the wrong profile.
 */
import type { DidResolver } from '../../did/types.ts';
import { DidcommError, isSsiotError } from '../../errors.ts';
import { resolveMessagingService } from '../did-keys.ts';
import type { EcdhCache } from '../ecdh.ts';
import type { ContentEncryption } from '../jwe.ts';
import { didOf, MEDIA_TYPE_ENCRYPTED, type PlaintextMessage } from '../message.ts';
import { packEncrypted } from '../pack.ts';
import type { SecretsResolver } from '../secrets.ts';
import { uriScheme, type MessageTransport } from './types.ts';

export interface OutboxOptions {
  transports: readonly MessageTransport[];
  resolver: DidResolver;
  secrets: SecretsResolver;
  /** Content encryption of anoncrypt layers (default A256CBC-HS512). */
  enc?: ContentEncryption;
  /** Sign before encrypting (non-repudiation); default false — authcrypt is the spec's default. */
  sign?: boolean;
  /** Wrap authcrypt in anoncrypt so mediators cannot see `skid` (default false). */
  protectSender?: boolean;
  ecdhCache?: EcdhCache | null;
}

export interface Delivery {
  to: string;
  endpoint?: string;
  transport?: string;
  /** Set when this recipient could not be reached (`didcomm.*` code). */
  error?: string;
}

export class Outbox {
  constructor(private readonly o: OutboxOptions) {
    if (!o || !Array.isArray(o.transports)) throw new DidcommError('didcomm.invalid_argument', 'Outbox needs a transports array');
  }

  private transportFor(uri: string): MessageTransport | undefined {
    const scheme = uriScheme(uri);
    return scheme ? this.o.transports.find((t) => t.schemes.includes(scheme)) : undefined;
  }

  /** Pack and deliver to one recipient DID; throws typed errors. */
  async deliverTo(message: PlaintextMessage, to: string): Promise<Delivery> {
    const service = await resolveMessagingService(this.o.resolver, to);
    if (!service) throw new DidcommError('didcomm.cant_use_endpoint', `${to} has no DIDCommMessaging service`);
    if (service.accept && service.accept.length > 0 && !service.accept.some((a) => a.split(';')[0].trim() === 'didcomm/v2')) {
      throw new DidcommError('didcomm.cant_use_endpoint', `the endpoint of ${to} does not accept didcomm/v2`);
    }
    const transport = this.transportFor(service.uri);
    if (!transport) throw new DidcommError('didcomm.unsupported_endpoint', `no transport for the ${uriScheme(service.uri) ?? '?'} scheme of ${to}'s endpoint`);
    const packed = await packEncrypted(message, {
      to,
      ...(message.from !== undefined ? { from: message.from } : {}),
      ...(this.o.sign && message.from !== undefined ? { signBy: message.from } : {}),
      ...(this.o.enc !== undefined ? { enc: this.o.enc } : {}),
      ...(this.o.protectSender ? { protectSender: true } : {}),
      ...(this.o.ecdhCache !== undefined ? { ecdhCache: this.o.ecdhCache } : {}),
      forward: true,
      resolver: this.o.resolver,
      secrets: this.o.secrets,
    });
    const endpointDid = service.routingKeys.length > 0 ? didOf(service.routingKeys[0]) : to;
    await transport.send({ uri: service.uri, did: endpointDid }, packed.packed, { mediaType: MEDIA_TYPE_ENCRYPTED });
    return { to, endpoint: service.uri, transport: transport.name };
  }

  /** Deliver to every DID in `message.to`; one Delivery per recipient, failures recorded, never thrown. */
  async deliver(message: PlaintextMessage): Promise<Delivery[]> {
    const to = Array.isArray(message.to) ? message.to : [];
    const out: Delivery[] = [];
    for (const did of to) {
      try {
        out.push(await this.deliverTo(message, did));
      } catch (e) {
        out.push({ to: did, error: isSsiotError(e) ? e.code : 'didcomm.transport_failed' });
      }
    }
    return out;
  }

  /**
   * The Router's `send`: deliver to all recipients; if any failed, throw
   * (after trying the others) a DidcommError with that recipient's code.
   */
  readonly send = async (message: PlaintextMessage): Promise<void> => {
    if (!Array.isArray(message.to) || message.to.length === 0) throw new DidcommError('didcomm.invalid_argument', 'the message has no recipients (to)');
    const results = await this.deliver(message);
    const failed = results.find((r) => r.error !== undefined);
    if (failed) {
      const code = (failed.error && failed.error.startsWith('didcomm.') ? failed.error : 'didcomm.transport_failed') as `didcomm.${string}`;
      throw new DidcommError(code, `delivery to ${failed.to} failed (${failed.error})`);
    }
  };
}
