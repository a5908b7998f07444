/**
 * Incremental verification as a device does it: a trusted WebvhState (kept
 * as JSON) moves forward only through entries that continue it exactly.
 * Every refusal leaves the trusted state as it was.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../../tests/support/assert.ts';
import { hexToBytes } from '../../encoding/bytes.ts';
import {
  createWebvh,
  entriesAfter,
  multikeyOfSigner,
  nextKeyHashOf,
  rotateDocumentKey,
  updateWebvh,
  verifyLog,
  verifyLogFrom,
  verifyLogStates,
  webvhSigner,
  type LogEntry,
  type WebvhState,
} from './index.ts';

const NOW = Date.UTC(2026, 10, 1);
const K = [1, 2, 3, 4, 5].map((n) => webvhSigner(hexToBytes(n.toString(16).padStart(64, '0'))));
const T = (day: number): string => `2002-02-${String(day).padStart(2, '0')}T00:00:00Z`;
const opts = { now: NOW };

/** A pre-rotated DID with `n` entries: each update rotates to the committed key. */
async function rotatingLog(n: number): Promise<LogEntry[]> {
  const { log } = await createWebvh({ domain: 'example.com', updateKeys: K[0], prerotation: { nextKeyHashes: [nextKeyHashOf(K[1])] }, versionTime: T(1), now: NOW });
  for (let i = 1; i < n; i++) {
    const doc = rotateDocumentKey(log[i - 1].state, multikeyOfSigner(K[i - 1]), multikeyOfSigner(K[i]));
    log.push(
      await updateWebvh(log, { signer: K[i], rotateTo: { updateKeys: [K[i]], nextKeyHashes: [nextKeyHashOf(K[i + 1])] }, document: doc, versionTime: T(i + 1), now: NOW }),
    );
  }
  return log;
}

function refuses(trusted: WebvhState, entries: unknown[], code: string): void {
  const before = JSON.stringify(trusted);
  expectCode(() => verifyLogFrom(trusted, entries, opts), code);
  expect(JSON.stringify(trusted)).toBe(before);
}

describe('did:webvh incremental verification', () => {
  it('moves forward through each split point exactly as full verification does', async () => {
    const log = await rotatingLog(4);
    const states = verifyLogStates(log, opts);
    for (let k = 1; k < log.length; k++) {
      expect(verifyLogFrom(states[k - 1], log.slice(k), opts)).toEqual(states[3]);
      expect(verifyLogFrom(states[k - 1], entriesAfter(log, states[k - 1]), opts)).toEqual(states[3]);
    }
  });

  it('works from a state that went through JSON storage, and returns no shared objects', async () => {
    const log = await rotatingLog(3);
    const stored = JSON.parse(JSON.stringify(verifyLog(log.slice(0, 1), opts))) as WebvhState;
    const next = verifyLogFrom(stored, log.slice(1), opts);
    expect(next).toEqual(verifyLog(log, opts));
    next.parameters.updateKeys.push('x');
    expect(verifyLogFrom(stored, [], opts).parameters.updateKeys).toEqual(stored.parameters.updateKeys);
  });

  it('refuses a replay of entries it already has (rollback)', async () => {
    const log = await rotatingLog(3);
    const trusted = verifyLog(log, opts);
    refuses(trusted, log.slice(1), 'did.webvh_rollback');
    refuses(trusted, log.slice(2), 'did.webvh_rollback');
  });

  it('refuses a gap and a reordered continuation', async () => {
    const log = await rotatingLog(4);
    const trusted = verifyLog(log.slice(0, 1), opts);
    refuses(trusted, log.slice(2), 'did.webvh_gap');
    refuses(trusted, [log[2], log[1], log[3]], 'did.webvh_gap');
    refuses(trusted, [log[1], log[3], log[2]], 'did.webvh_invalid_version_id');
  });

  it('refuses a fork: a valid continuation of another history', async () => {
    const log = await rotatingLog(3);
    // the same controller key signs a different entry 2, then an entry 3 on top of it
    const fork = log.slice(0, 1);
    fork.push(await updateWebvh(fork, { signer: K[1], rotateTo: { updateKeys: [K[1]], nextKeyHashes: [nextKeyHashOf(K[2])] }, versionTime: T(5), now: NOW }));
    fork.push(await updateWebvh(fork, { signer: K[2], rotateTo: { updateKeys: [K[2]], nextKeyHashes: [nextKeyHashOf(K[3])] }, versionTime: T(6), now: NOW }));
    expect(verifyLog(fork, opts).versionNumber).toBe(3);
    const trusted = verifyLog(log.slice(0, 2), opts);
    refuses(trusted, fork.slice(2), 'did.webvh_fork');
    expectCode(() => entriesAfter(fork, trusted), 'did.webvh_fork');
  });

  it('refuses a tampered continuation', async () => {
    const log = await rotatingLog(3);
    const trusted = verifyLog(log.slice(0, 1), opts);
    const tampered = JSON.parse(JSON.stringify(log.slice(1))) as LogEntry[];
    tampered[1].state.alsoKnownAs = ['did:web:evil.example'];
    refuses(trusted, tampered, 'did.webvh_invalid_entry_hash');
    const first = JSON.parse(JSON.stringify(log.slice(1))) as LogEntry[];
    first[0].state.alsoKnownAs = ['did:web:evil.example'];
    refuses(trusted, first, 'did.webvh_fork');
    const badSig = JSON.parse(JSON.stringify(log.slice(1))) as LogEntry[];
    badSig[1].proof[0].proofValue = badSig[0].proof[0].proofValue;
    refuses(trusted, badSig, 'did.webvh_invalid_proof');
  });

  it('refuses an entry signed by a key rotated out before it, or by a not yet authorized key', async () => {
    const log = await rotatingLog(2);
    const trusted = verifyLog(log, opts);
    // K[0] was the key before the rotation; K[3] is not committed
    for (const signer of [K[0], K[3]]) {
      const forged = JSON.parse(JSON.stringify(log)) as LogEntry[];
      const base = forged.slice(0, 2);
      let thrown: { code?: string } | undefined;
      try {
        await updateWebvh(base, { signer, rotateTo: { updateKeys: [K[2]], nextKeyHashes: [] }, versionTime: T(3), now: NOW });
      } catch (e) {
        thrown = e as { code?: string };
      }
      expect(thrown?.code).toBe('did.webvh_unauthorized_key');
    }
    expect(verifyLogFrom(trusted, [], opts)).toEqual(trusted);
  });

  it('refuses a continuation whose versionTime goes backwards', async () => {
    const log = await rotatingLog(2);
    const trusted = verifyLog(log, opts);
    const next = await updateWebvh(log, { signer: K[2], rotateTo: { updateKeys: [K[2]], nextKeyHashes: [] }, versionTime: T(3), now: NOW });
    const backwards = { ...next, versionTime: T(1) };
    refuses(trusted, [backwards], 'did.webvh_version_time');
    expect(verifyLogFrom(trusted, [next], opts).versionNumber).toBe(3);
  });

  it('refuses everything after a deactivation', async () => {
    const log = await rotatingLog(2);
    log.push(await updateWebvh(log, { signer: K[2], deactivate: true, rotateTo: { updateKeys: [K[2]] }, versionTime: T(3), now: NOW }));
    const trusted = verifyLog(log, opts);
    expect(trusted.parameters.deactivated).toBe(true);
    const forged = JSON.parse(JSON.stringify(log[2])) as LogEntry;
    forged.versionId = `4-${forged.versionId.slice(2)}`;
    refuses(trusted, [forged], 'did.webvh_deactivated');
  });

  it('refuses truncated logs and malformed trusted states', async () => {
    const log = await rotatingLog(3);
    const trusted = verifyLog(log, opts);
    expectCode(() => entriesAfter(log.slice(0, 2), trusted), 'did.webvh_rollback');
    expect(entriesAfter(log, trusted)).toEqual([]);
    for (const broken of [
      null,
      { ...trusted, versionNumber: 0 },
      { ...trusted, lastEntryHash: 'x' },
      { ...trusted, parameters: { ...trusted.parameters, updateKeys: 'k' } },
      { ...trusted, scid: 'other' },
    ]) {
      expectCode(() => verifyLogFrom(broken as WebvhState, log.slice(3), opts), 'did.webvh_invalid_state');
    }
    expectCode(() => verifyLogFrom(trusted, 'x' as never, opts), 'did.webvh_invalid_entry');
  });
});
