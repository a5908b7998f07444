/**
 * The ssiot MQTT topic scheme (docs/transports.md has the full table).
 *
 *   ssiot/v1/inbox/<h>                 one DID's inbox; h = first 26 chars of
 *                                      lowercase unpadded base32(sha256(DID))
 *   ssiot/v1/announce/<vendor>/<class> broadcast announcements of a device class
 *
 * Why a hash: a DID is not a usable topic level as is — did:peer:2 DIDs are
 * hundreds of characters, DIDs may contain `%` and `:` and, in DID URLs,
 * `/`, `#`, `+` would be wildcards or level separators. 26 base32 chars =
 * 130 bits: collision-free in practice, short on the wire, and it does not
 * reveal the DID to someone who only watches topics (they would need to
 * guess the DID). The hash is over the exact DID string (no normalization:
 * method-specific ids are case-sensitive); did:peer:2 and its did:peer:3
 * alias are different DIDs and get different inboxes — a peer sends to the
 * DID that appears in `to`.
 */
import { base32nopad } from '@scure/base';
import { getCrypto } from '../../crypto/index.ts';
import { utf8Encode } from '../../encoding/bytes.ts';
import { parseDid } from '../../did/did-url.ts';
import { DidcommError } from '../../errors.ts';

export const TOPIC_ROOT = 'ssiot/v1';
const INBOX = `${TOPIC_ROOT}/inbox/`;
const ANNOUNCE = `${TOPIC_ROOT}/announce/`;
/** Characters of base32 kept in an inbox topic. */
export const INBOX_HASH_LENGTH = 26;

/** A vendor or class level: URI-unreserved characters only (UUIDs, short names), 1-64 of them. */
const SEGMENT = /^[A-Za-z0-9._~-]{1,64}$/;

/** The inbox hash of a DID (26 lowercase base32 characters). `didcomm.invalid_topic` if `did` is not a DID. */
export function didTopicHash(did: string): string {
  try {
    parseDid(did);
  } catch (e) {
    throw new DidcommError('didcomm.invalid_topic', 'inbox topics are derived from a DID (without path, query or fragment)', { cause: e });
  }
  return base32nopad.encode(getCrypto().sha256(utf8Encode(did))).slice(0, INBOX_HASH_LENGTH).toLowerCase();
}

/** `ssiot/v1/inbox/<hash>`: where messages for `did` are published. */
export function inboxTopic(did: string): string {
  return INBOX + didTopicHash(did);
}

function segment(name: string, value: string): string {
  if (typeof value !== 'string' || !SEGMENT.test(value)) {
    throw new DidcommError('didcomm.invalid_topic', `${name} must be 1-64 characters from A-Z a-z 0-9 . _ ~ -`);
  }
  return value;
}

/** `ssiot/v1/announce/<vendor>/<class>`: broadcast announcements of one device class. */
export function announceTopic(vendor: string, deviceClass: string): string {
  return `${ANNOUNCE}${segment('vendor', vendor)}/${segment('class', deviceClass)}`;
}

/** Subscription filter for announcements: one class, all classes of a vendor, or everything. */
export function announceFilter(vendor?: string, deviceClass?: string): string {
  if (vendor === undefined) return `${ANNOUNCE}+/+`;
  return `${ANNOUNCE}${segment('vendor', vendor)}/${deviceClass === undefined ? '+' : segment('class', deviceClass)}`;
}

export type ParsedTopic = { kind: 'inbox'; hash: string } | { kind: 'announce'; vendor: string; deviceClass: string };

/** Classify a received topic; undefined for anything outside the scheme. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  if (typeof topic !== 'string') return undefined;
  if (topic.startsWith(INBOX)) {
    const hash = topic.slice(INBOX.length);
    return /^[a-z2-7]{26}$/.test(hash) ? { kind: 'inbox', hash } : undefined;
  }
  if (topic.startsWith(ANNOUNCE)) {
    const parts = topic.slice(ANNOUNCE.length).split('/');
    if (parts.length === 2 && SEGMENT.test(parts[0]) && SEGMENT.test(parts[1])) return { kind: 'announce', vendor: parts[0], deviceClass: parts[1] };
  }
  return undefined;
}

/**
 * A stable MQTT client id for an agent, from its primary DID: `ssiot-` + 17
 * hash chars = 23 characters, the longest every MQTT 3.1.1 server must
 * accept (§3.1.3.1). Stable ids are what make persistent sessions (offline
 * delivery) work across reconnects and restarts.
 */
export function clientIdFor(did: string): string {
  return `ssiot-${didTopicHash(did).slice(0, 17)}`;
}

/** MQTT topic filter matching (`+` one level, `#` the rest, as the last level), for routing received messages to subscriptions. */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
