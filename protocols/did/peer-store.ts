/**
 * Memory of long-form peer DIDs (did:peer:2, long did:peer:4), so that their
 * short forms (did:peer:3, short did:peer:4) resolve later. The did:peer
 * specs make this the only way a short form resolves: a party learns the
 * long form once (an invitation, a first message) and both sides then use
 * the short one. createDefaultResolver keeps one and remembers every long
 * form it resolves.
 *
 * In memory only, and bounded (oldest forgotten first): a resolver that
 * remembers what it is asked must not grow without limit because a peer
 * sends many long forms. What to persist, and for how long, is the host's
 * choice (a device keeps a handful of peers; the service a database).
 */
import { DidError } from '../errors.ts';
import { parseDid } from './did-url.ts';
import type { PeerDidLookup } from './peer-short.ts';
import { didPeer2ToPeer3 } from './peer2.ts';
import { didPeer4ShortForm, isDidPeer4LongForm } from './peer4.ts';

/** The short form of a long-form peer DID, or undefined for any other DID (never throws). */
export function peerShortForm(did: string): string | undefined {
  try {
    const { method, id } = parseDid(did);
    if (method !== 'peer') return undefined;
    if (id.startsWith('2.')) return didPeer2ToPeer3(did);
    if (isDidPeer4LongForm(did)) return didPeer4ShortForm(did);
  } catch {
    // not a well-formed long form: nothing to remember
  }
  return undefined;
}

export interface PeerDidStoreOptions {
  /** Most long forms kept; default 1024. */
  capacity?: number;
}

export class PeerDidStore implements PeerDidLookup {
  private readonly longForms = new Map<string, string>();
  private readonly capacity: number;

  constructor(options: PeerDidStoreOptions = {}) {
    const capacity = options.capacity ?? 1024;
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new DidError('did.invalid_options', 'PeerDidStore capacity must be a positive integer');
    this.capacity = capacity;
  }

  /**
   * Remember a long form; returns its short form. Checks the syntax (and,
   * for did:peer:4, the hash), not the whole document: short-form
   * resolution resolves the long form again and reports what is wrong then.
   * Anything else is `did.invalid`.
   */
  remember(longForm: string): string {
    const short = peerShortForm(longForm);
    if (short === undefined) throw new DidError('did.invalid', 'only a did:peer:2 or a long-form did:peer:4 has a short form to remember');
    this.longForms.delete(short); // re-inserted: most recently seen
    this.longForms.set(short, longForm);
    if (this.longForms.size > this.capacity) this.longForms.delete(this.longForms.keys().next().value as string);
    return short;
  }

  longFormOf(shortDid: string): string | undefined {
    return this.longForms.get(shortDid);
  }

  /** How many long forms are remembered. */
  get size(): number {
    return this.longForms.size;
  }
}
