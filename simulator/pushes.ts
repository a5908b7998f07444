/**
 * The fleet's push relay: what the devices push to their owners (relayed
 * support messages, transfer-closed) waits here until the owner's phone
 * app fetches it (`GET /api/pushes?to=<owner DID>&after=<seq>` on the
 * dashboard). A stand-in for a phone push service (APNs, FCM): the phone
 * app has no endpoint of its own. Envelopes are authcrypted to the owner's
 * pairwise DID, so the relay learns only who gets how much, and anyone
 * may read the queue. Bounded: the oldest entries fall out first.
 */
export interface PushEntry {
  seq: number;
  /** The owner DID the envelope is encrypted to. */
  to: string;
  packed: string;
}

export class PushOutbox {
  private entries: PushEntry[] = [];
  private next = 1;

  constructor(private readonly max = 1000) {}

  add(to: string, packed: string): PushEntry {
    const e = { seq: this.next++, to, packed };
    this.entries.push(e);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    return e;
  }

  /** Entries for `to` after `after` (a seq), oldest first. */
  since(to: string, after = 0): PushEntry[] {
    return this.entries.filter((e) => e.to === to && e.seq > after);
  }
}
