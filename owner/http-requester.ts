/**
 * The owner's transport: DIDComm request/response over HTTP with `fetch`
 * (browsers and Node have it), for endpoints that answer in the HTTP
 * response — a device's local endpoint, the manufacturer's owner endpoint
 * (hosts/node/transports/http.ts `didcommReplyRoutes`): 200 + body is the
 * reply, 202 is "no reply", anything else `didcomm.transport_failed`. The
 * phone app (owner/app) and the Node side (device links, the service, tests)
 * use this one class. No cookies travel (`credentials: 'omit'`), so a
 * browser needs only the endpoint's CORS allow-origin.
 */
import { MEDIA_TYPE_ENCRYPTED } from '../protocols/didcomm/message.ts';
import { uriScheme } from '../protocols/didcomm/transports/types.ts';
import { DidcommError } from '../protocols/errors.ts';
import type { OwnerTransport } from './agent.ts';

export class HttpRequester implements OwnerTransport {
  constructor(private readonly timeoutMs = 15_000) {}

  async send(endpoint: string, packed: string): Promise<string | undefined> {
    const scheme = uriScheme(endpoint);
    if (scheme !== 'http' && scheme !== 'https') throw new DidcommError('didcomm.unsupported_endpoint', 'not an http(s) endpoint');
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': MEDIA_TYPE_ENCRYPTED },
        body: packed,
        redirect: 'error',
        credentials: 'omit',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      // from a browser, a refused CORS preflight looks like this too
      throw new DidcommError('didcomm.transport_failed', `POST to ${endpoint} failed (${(e as { name?: string }).name ?? 'network error'})`, { cause: e });
    }
    const body = await res.text();
    if (res.status === 202) return undefined;
    if (res.status === 200 && body.length > 0) return body;
    throw new DidcommError('didcomm.transport_failed', `the endpoint answered HTTP ${res.status}`);
  }
}
