/**
 * The parts of an `http:` / `mqtt:` URL the ECMA-419 clients take (XS has
 * no `URL`). TLS (`https:`, `mqtts:`) is refused: the firmware has no
 * certificate store configured yet (see README.md).
 */
import { DidcommError } from '../../protocols/errors.ts';

export interface HostPort {
  scheme: string;
  host: string;
  port: number;
  /** Path and query, `/` at least. */
  path: string;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, mqtt: 1883, ws: 80 };

/** `didcomm.unsupported_endpoint` for anything that is not a plain http/mqtt URL. */
export function parseHostPort(url: string): HostPort {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[^/:?#\s]+)(?::(\d{1,5}))?([/?][^#\s]*)?$/i.exec(url);
  const scheme = m?.[1].toLowerCase();
  if (!m || scheme === undefined || !(scheme in DEFAULT_PORTS)) throw new DidcommError('didcomm.unsupported_endpoint', 'only http: and mqtt: URLs are supported on this device');
  const port = m[3] === undefined ? DEFAULT_PORTS[scheme] : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DidcommError('didcomm.unsupported_endpoint', 'port out of range');
  const path = m[4] === undefined ? '/' : m[4].startsWith('?') ? '/' + m[4] : m[4];
  return { scheme, host: m[2], port, path };
}
