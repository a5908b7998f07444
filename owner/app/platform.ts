/**
 * The browser bindings of the owner agent: randomness for the crypto facade,
 * the HTTP transport to devices and the manufacturer, and the did:webvh
 * fetch. Browser-only (DOM globals), no Node built-ins.
 */
import { installCrypto } from '../../protocols/crypto/index.ts';
import { createDefaultResolver, type DidResolverRegistry } from '../../protocols/did/resolver.ts';
import { didToHttpsUrl } from '../../protocols/did/webvh/did.ts';
import { webvhResolver, type WebvhFetch } from '../../protocols/did/webvh/resolve.ts';
import type { DidDocument } from '../../protocols/did/types.ts';
import { DidError } from '../../protocols/errors.ts';

/** getRandomValues fills at most 65536 bytes per call (Web Crypto spec). */
const MAX_RANDOM_CHUNK = 65536;

/** The browser's CSPRNG as the crypto facade's randomBytes (the only override: everything else stays @noble). */
export function installBrowserCrypto(c: Crypto = globalThis.crypto): void {
  installCrypto({
    randomBytes: (length: number) => {
      const out = new Uint8Array(length);
      for (let at = 0; at < length; at += MAX_RANDOM_CHUNK) c.getRandomValues(out.subarray(at, Math.min(length, at + MAX_RANDOM_CHUNK)));
      return out;
    },
  });
}

/** DIDComm request/response over HTTP from the browser: the owner's one transport (owner/http-requester.ts). */
export { HttpRequester as BrowserTransport } from '../http-requester.ts';

/**
 * The did:webvh fetch with the app's explicit "manufacturer service URL"
 * setting: a DID's HTTPS URL whose origin is the one `manufacturerDid` maps
 * to (https://manufacturer.localhost:PORT/...) is fetched from
 * `serviceUrl` instead (local development has no HTTPS and no DNS for
 * *.localhost in every browser). Every other URL is fetched as is.
 */
export function mappedWebvhFetch(settings: { manufacturerDid?: string; manufacturerUrl?: string }, doFetch: typeof fetch = fetch): WebvhFetch {
  let from: URL | undefined;
  let to: URL | undefined;
  if (settings.manufacturerDid?.startsWith('did:webvh:') && settings.manufacturerUrl) {
    from = new URL(didToHttpsUrl(settings.manufacturerDid));
    to = new URL(settings.manufacturerUrl.endsWith('/') ? settings.manufacturerUrl : `${settings.manufacturerUrl}/`);
  }
  return async (url: string) => {
    let target = url;
    const u = new URL(url);
    if (from && to && u.origin === from.origin) target = new URL(`${u.pathname.replace(/^\//, '')}${u.search}`, to).toString();
    let res: Response;
    try {
      res = await doFetch(target, { credentials: 'omit', signal: AbortSignal.timeout(15_000) });
    } catch (e) {
      throw new DidError('did.webvh_fetch_failed', `fetching ${target} failed`, { cause: e });
    }
    if (res.status === 404) throw new DidError('did.not_found', `${target} answered 404`);
    if (!res.ok) throw new DidError('did.webvh_fetch_failed', `${target} answered HTTP ${res.status}`);
    return res.text();
  };
}

/**
 * did:key, did:peer and did:webvh (over `webvhFetch`); webvh documents are
 * kept for `cacheMs` (a device check resolves the manufacturer several times
 * in a row; a rotation shows within the minute).
 */
export function browserResolver(webvhFetch: WebvhFetch, cacheMs = 60_000, now: () => number = Date.now): DidResolverRegistry {
  const r = createDefaultResolver();
  const webvh = webvhResolver({ fetch: webvhFetch });
  const cache = new Map<string, { at: number; doc: Promise<DidDocument> }>();
  r.register('webvh', (did) => {
    const hit = cache.get(did);
    if (hit && now() - hit.at < cacheMs) return hit.doc;
    const doc = Promise.resolve(webvh(did));
    cache.set(did, { at: now(), doc });
    doc.catch(() => cache.delete(did));
    return doc;
  });
  return r;
}

/** The manufacturer's DID read from its published log (`<service URL>/.well-known/did.jsonl`): the last entry's state id. */
export async function discoverManufacturerDid(manufacturerUrl: string, doFetch: typeof fetch = fetch): Promise<string> {
  const url = new URL('.well-known/did.jsonl', manufacturerUrl.endsWith('/') ? manufacturerUrl : `${manufacturerUrl}/`).toString();
  let text: string;
  try {
    const res = await doFetch(url, { credentials: 'omit', signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (e) {
    throw new DidError('did.webvh_fetch_failed', `no DID log at ${url}`, { cause: e });
  }
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  try {
    const last = JSON.parse(lines[lines.length - 1]) as { state?: { id?: unknown } };
    if (typeof last.state?.id === 'string' && last.state.id.startsWith('did:webvh:')) return last.state.id;
  } catch {
    /* below */
  }
  throw new DidError('did.invalid', `the log at ${url} names no did:webvh`);
}
