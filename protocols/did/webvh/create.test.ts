/**
 * The controller side (create / update / rotate / deactivate / move /
 * witnesses) and the verifier's refusals of entries that are well signed but
 * break a rule. The first test rebuilds the test suite's ts pre-rotation log
 * byte for byte, which pins SCID, entry hash, pre-rotation hashes and proofs.
 */
import { describe, expect, it } from 'vitest';
import { expectCode, expectCodeAsync } from '../../../tests/support/assert.ts';
import { readVectorText } from '../../../tests/support/vectors.ts';
import { hexToBytes } from '../../encoding/bytes.ts';
import { createProof } from '../../vc/data-integrity.ts';
import type { Signer } from '../../vc/signer.ts';
import type { DidDocument } from '../types.ts';
import {
  computeScid,
  createWebvh,
  createWitnessProof,
  documentForKeys,
  entryHash,
  multikeyOfSigner,
  nextKeyHash,
  nextKeyHashOf,
  parseLog,
  rotateDocumentKey,
  updateWebvh,
  verifyLog,
  webvhSigner,
  type LogEntry,
  type WebvhLogParameters,
} from './index.ts';

const NOW = Date.UTC(2026, 10, 1);
const seed = (n: number): Uint8Array => hexToBytes(n.toString(16).padStart(64, '0'));
const K = [1, 2, 3, 4, 5, 6].map((n) => webvhSigner(seed(n)));
const T = (day: number): string => `2001-01-${String(day).padStart(2, '0')}T00:00:00Z`;

/** An entry after `log` with exactly these contents, hashed and signed, NOT checked (to test the verifier). */
async function craft(log: LogEntry[], fields: { parameters: WebvhLogParameters; state?: DidDocument; versionTime: string }, signer: Signer): Promise<LogEntry> {
  const prev = log[log.length - 1];
  const n = Number(prev.versionId.split('-')[0]) + 1;
  const unsigned = { versionId: prev.versionId, versionTime: fields.versionTime, parameters: fields.parameters, state: fields.state ?? prev.state };
  unsigned.versionId = `${n}-${entryHash(unsigned, prev.versionId)}`;
  // proof `created` is not what is under test: any valid time
  const proof = await createProof(unsigned, { signer, created: T(2) });
  return { ...unsigned, proof: [proof] } as LogEntry;
}

async function fresh(extra: Partial<Parameters<typeof createWebvh>[0]> = {}): Promise<LogEntry[]> {
  const { log } = await createWebvh({ domain: 'example.com', updateKeys: K[0], versionTime: T(1), now: NOW, ...extra });
  return log;
}

describe('did:webvh create and update reproduce the test suite', () => {
  it('rebuilds vectors/pre-rotation-consume/ts/did.jsonl exactly (SCID, entry hashes, key hashes, proofs)', async () => {
    const vector = parseLog(readVectorText('didwebvh/vectors/pre-rotation-consume/ts/did.jsonl'));
    const keys = [1, 2, 3, 4].map((n) => webvhSigner(seed(n)));
    const scid = vector[0].parameters.scid as string;
    const placeholderDoc = JSON.parse(JSON.stringify(vector[0].state).split(scid).join('{SCID}')) as DidDocument;
    const created = await createWebvh({
      domain: 'example.com',
      updateKeys: keys[0],
      prerotation: { nextKeyHashes: [nextKeyHashOf(keys[1])] },
      document: placeholderDoc,
      versionTime: '2000-01-01T00:00:00Z',
      parameters: { watchers: [], witness: {}, deactivated: false },
      now: NOW,
    });
    expect(created.log[0]).toEqual(vector[0]);
    const log = [...created.log];
    for (const i of [1, 2]) {
      log.push(
        await updateWebvh(log, {
          signer: keys[i],
          rotateTo: { updateKeys: [keys[i]], nextKeyHashes: [nextKeyHashOf(keys[i + 1])] },
          document: vector[i].state,
          parameters: { witness: {}, watchers: [] },
          versionTime: `2000-01-0${i + 1}T00:00:00Z`,
          now: NOW,
        }),
      );
      expect(log[i]).toEqual(vector[i]);
    }
  });

  it('computes the key hashes of the vectors', () => {
    expect(nextKeyHash(multikeyOfSigner(K[1]))).toBe('Qmf2V5jB2UwPcFL5bvmKed7VvY3CSQ1RXyDdtip7ufpQ3R');
    expect(multikeyOfSigner(K[0])).toBe('z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG');
  });

  it('hashes the spec example entry to its published entryHash', () => {
    const entry = JSON.parse(
      '{"versionId": "QmdmPkUdYzbr9txmx8gM2rsHPgr5L6m3gHjJGAf4vUFoGE", "versionTime": "2025-04-01T17:39:50Z", "parameters": {"witness": {"threshold": 2, "witnesses": [{"id": "did:key:z6Mkkc51mg2vpQzKWAbWQZupeGYhowaBjYkmvcKMTqteqHB4", "weight": 1}, {"id": "did:key:z6MkuDdJdKLCgwZuQuEi9xG6LVgJJ9Tebr74CXPYPSumqgJs", "weight": 1}, {"id": "did:key:z6MkoSWmQyp4fTk4ZQy4KUsss9dFX51XfEUzKKKj1J1JUsrF", "weight": 1}]}, "updateKeys": ["z6MkgzBDcBFV3sk4ypPE5YXMZHmS213A3HpYY2LmcVKV15jr"], "nextKeyHashes": ["QmZreDcjvWEpyRFznQeExWNCsvMLk5i59AcRJJuQC8UodJ"], "method": "did:webvh:0.5", "scid": "QmdmPkUdYzbr9txmx8gM2rsHPgr5L6m3gHjJGAf4vUFoGE"}, "state": {"@context": ["https://www.w3.org/ns/did/v1"], "id": "did:webvh:QmdmPkUdYzbr9txmx8gM2rsHPgr5L6m3gHjJGAf4vUFoGE:domain.example"}}',
    );
    expect(entryHash(entry, entry.versionId)).toBe('QmQ6FJ4fk2xheSSQoEjVpTgx9AQPKhJgtR9hn1nr4EeCrZ');
    expect(computeScid({ a: 1 })).toMatch(/^Qm[1-9A-HJ-NP-Za-km-z]{44}$/);
  });
});

describe('did:webvh create', () => {
  it('creates a DID whose key signs the log and is its assertion key', async () => {
    const { did, log, state } = await createWebvh({ domain: 'example.com:8443', path: 'dids/acme', updateKeys: K[0] });
    expect(did).toMatch(/^did:webvh:Qm[1-9A-HJ-NP-Za-km-z]{44}:example\.com%3A8443:dids:acme$/);
    expect(log).toHaveLength(1);
    expect(verifyLog(log)).toEqual(state);
    expect(Math.abs(Date.parse(state.versionTime) - Date.now())).toBeLessThan(5000);
    const mk = multikeyOfSigner(K[0]);
    expect(state.parameters.updateKeys).toEqual([mk]);
    expect(state.document).toEqual(documentForKeys(did, [mk]));
    expect(state.document.assertionMethod).toEqual([`${did}#${mk}`]);
    expect(state.parameters).toMatchObject({ portable: false, prerotation: false, deactivated: false, witness: null, ttl: 3600 });
    expect(JSON.stringify(log[0])).not.toContain('{SCID}');
  });

  it('commits to next keys with pre-rotation', async () => {
    const { state } = await createWebvh({ domain: 'example.com', updateKeys: K[0], prerotation: { nextKeyHashes: [nextKeyHashOf(K[1])] } });
    expect(state.parameters.prerotation).toBe(true);
    expect(state.parameters.nextKeyHashes).toEqual([nextKeyHashOf(K[1])]);
  });

  it('puts {SCID} wherever the document has the placeholder', async () => {
    const { did, state } = await createWebvh({
      domain: 'example.com',
      updateKeys: K[0],
      document: { service: [{ id: '#home', type: 'LinkedDomains', serviceEndpoint: 'https://example.com/{SCID}' }] },
    });
    expect(state.document.service?.[0].serviceEndpoint).toBe(`https://example.com/${state.scid}`);
    expect(state.document.id).toBe(did);
  });

  it('refuses a bad domain, no keys, and a signer that is not a did:key Ed25519 signer', async () => {
    await expectCodeAsync(() => createWebvh({ domain: '127.0.0.1', updateKeys: K[0], now: NOW }), 'did.webvh_invalid_did');
    await expectCodeAsync(() => createWebvh({ domain: 'example.com', updateKeys: [], now: NOW }), 'did.webvh_invalid_parameters');
    const odd: Signer = { verificationMethod: 'did:example:123#k', algorithm: 'Ed25519', sign: K[0].sign };
    await expectCodeAsync(() => createWebvh({ domain: 'example.com', updateKeys: odd, now: NOW }), 'did.invalid_key');
  });

  it('refuses a first entry stamped in the future', async () => {
    await expectCodeAsync(() => createWebvh({ domain: 'example.com', updateKeys: K[0], versionTime: '2030-01-01T00:00:00Z', now: NOW }), 'did.webvh_version_time');
  });
});

describe('did:webvh updates and key rotation', () => {
  it('updates the document; times stay strictly increasing even within one second', async () => {
    const { log } = await createWebvh({ domain: 'example.com', updateKeys: K[0] });
    const doc = { ...log[0].state, service: [{ id: '#x', type: 'LinkedDomains', serviceEndpoint: 'https://example.com/' }] };
    log.push(await updateWebvh(log, { signer: K[0], document: doc }));
    log.push(await updateWebvh(log, { signer: K[0] }));
    const state = verifyLog(log);
    expect(state.versionNumber).toBe(3);
    expect(state.document.service).toEqual(doc.service);
    expect(Date.parse(log[2].versionTime)).toBeGreaterThan(Date.parse(log[1].versionTime));
  });

  it('without pre-rotation: the old key signs the rotation, then only the new key is authorized', async () => {
    const log = await fresh();
    log.push(await updateWebvh(log, { signer: K[0], rotateTo: { updateKeys: [K[1]] }, versionTime: T(2), now: NOW }));
    expect(verifyLog(log, { now: NOW }).parameters.updateKeys).toEqual([multikeyOfSigner(K[1])]);
    await expectCodeAsync(() => updateWebvh(log, { signer: K[0], versionTime: T(3), now: NOW }), 'did.webvh_unauthorized_key');
    const forged = await craft(log, { parameters: {}, versionTime: T(3) }, K[0]);
    expectCode(() => verifyLog([...log, forged], { now: NOW }), 'did.webvh_unauthorized_key');
    log.push(await updateWebvh(log, { signer: K[1], versionTime: T(3), now: NOW }));
    expect(verifyLog(log, { now: NOW }).versionNumber).toBe(3);
  });

  it('with pre-rotation: only the committed key can take over, and must commit again', async () => {
    const log = await fresh({ prerotation: { nextKeyHashes: [nextKeyHashOf(K[1])] } });
    await expectCodeAsync(() => updateWebvh(log, { signer: K[0], versionTime: T(2), now: NOW }), 'did.webvh_prerotation');
    // the old (compromised) key cannot sign, even naming the committed key
    await expectCodeAsync(
      () => updateWebvh(log, { signer: K[0], rotateTo: { updateKeys: [K[1]], nextKeyHashes: [] }, versionTime: T(2), now: NOW }),
      'did.webvh_unauthorized_key',
    );
    // an attacker's own key was never committed
    await expectCodeAsync(
      () => updateWebvh(log, { signer: K[5], rotateTo: { updateKeys: [K[5]], nextKeyHashes: [] }, versionTime: T(2), now: NOW }),
      'did.webvh_prerotation',
    );
    // keeping the old key beside the committed one is refused: every key must be committed
    const both = await craft(log, { parameters: { updateKeys: [multikeyOfSigner(K[1]), multikeyOfSigner(K[0])], nextKeyHashes: [] }, versionTime: T(2) }, K[1]);
    expectCode(() => verifyLog([...log, both], { now: NOW }), 'did.webvh_prerotation');
    await expectCodeAsync(
      () => updateWebvh(log, { signer: K[1], rotateTo: { updateKeys: [K[1]] }, versionTime: T(2), now: NOW }),
      'did.webvh_prerotation',
    );
    const doc = rotateDocumentKey(log[0].state, multikeyOfSigner(K[0]), multikeyOfSigner(K[1]));
    log.push(
      await updateWebvh(log, { signer: K[1], rotateTo: { updateKeys: [K[1]], nextKeyHashes: [nextKeyHashOf(K[2])] }, document: doc, versionTime: T(2), now: NOW }),
    );
    const state = verifyLog(log, { now: NOW });
    expect(state.parameters.updateKeys).toEqual([multikeyOfSigner(K[1])]);
    expect(state.parameters.nextKeyHashes).toEqual([nextKeyHashOf(K[2])]);
    expect(state.document.assertionMethod).toEqual([`${state.did}#${multikeyOfSigner(K[1])}`]);
    expect(JSON.stringify(state.document)).not.toContain(multikeyOfSigner(K[0]));
  });

  it('an entry under pre-rotation must state updateKeys and nextKeyHashes', async () => {
    const log = await fresh({ prerotation: { nextKeyHashes: [nextKeyHashOf(K[1])] } });
    const noNext = await craft(log, { parameters: { updateKeys: [multikeyOfSigner(K[1])] }, versionTime: T(2) }, K[1]);
    expectCode(() => verifyLog([...log, noNext], { now: NOW }), 'did.webvh_prerotation');
    const noKeys = await craft(log, { parameters: { nextKeyHashes: [] }, versionTime: T(2) }, K[0]);
    expectCode(() => verifyLog([...log, noKeys], { now: NOW }), 'did.webvh_prerotation');
  });

  it('ending pre-rotation ([]) returns to the ordinary rule', async () => {
    const log = await fresh({ prerotation: { nextKeyHashes: [nextKeyHashOf(K[1])] } });
    log.push(await updateWebvh(log, { signer: K[1], rotateTo: { updateKeys: [K[1]], nextKeyHashes: [] }, versionTime: T(2), now: NOW }));
    log.push(await updateWebvh(log, { signer: K[1], versionTime: T(3), now: NOW }));
    expect(verifyLog(log, { now: NOW }).parameters.prerotation).toBe(false);
  });

  it('rotateDocumentKey swaps the method and every reference to it', () => {
    const did = 'did:webvh:QmfGEUAcMpzo25kF2Rhn8L5FAXysfGnkzjwdKoNPi615XQ:example.com';
    const [a, b] = [multikeyOfSigner(K[0]), multikeyOfSigner(K[1])];
    const doc = { ...documentForKeys(did, [a]), capabilityInvocation: [`#${a}`] };
    const out = rotateDocumentKey(doc, a, b);
    expect(out.verificationMethod).toEqual([{ id: `${did}#${b}`, type: 'Multikey', controller: did, publicKeyMultibase: b }]);
    expect(out.authentication).toEqual([`${did}#${b}`]);
    expect(out.capabilityInvocation).toEqual([`${did}#${b}`]);
    expect(rotateDocumentKey(doc, multikeyOfSigner(K[2]), b)).toEqual(doc);
  });
});

describe('did:webvh deactivation', () => {
  it('deactivates; nothing may follow', async () => {
    const log = await fresh();
    log.push(await updateWebvh(log, { signer: K[0], deactivate: true, versionTime: T(2), now: NOW }));
    const state = verifyLog(log, { now: NOW });
    expect(state.parameters.deactivated).toBe(true);
    expect(state.parameters.updateKeys).toEqual([]);
    await expectCodeAsync(() => updateWebvh(log, { signer: K[0], versionTime: T(3), now: NOW }), 'did.webvh_deactivated');
    const after = await craft(log, { parameters: { deactivated: false, updateKeys: [multikeyOfSigner(K[0])] }, versionTime: T(3) }, K[0]);
    expectCode(() => verifyLog([...log, after], { now: NOW }), 'did.webvh_deactivated');
  });

  it('deactivates under pre-rotation with the committed key, ending the commitments', async () => {
    const log = await fresh({ prerotation: { nextKeyHashes: [nextKeyHashOf(K[1])] } });
    await expectCodeAsync(() => updateWebvh(log, { signer: K[0], deactivate: true, versionTime: T(2), now: NOW }), 'did.webvh_prerotation');
    log.push(await updateWebvh(log, { signer: K[1], deactivate: true, rotateTo: { updateKeys: [K[1]] }, versionTime: T(2), now: NOW }));
    const state = verifyLog(log, { now: NOW });
    expect(state.parameters).toMatchObject({ deactivated: true, prerotation: false, nextKeyHashes: [] });
  });
});

describe('did:webvh portability', () => {
  const moved = (doc: DidDocument, withAka: boolean): DidDocument => {
    const id = doc.id.replace(':example.com', ':example.org');
    const out = JSON.parse(JSON.stringify(doc).split(doc.id).join(id)) as DidDocument;
    if (withAka) out.alsoKnownAs = [doc.id];
    return out;
  };

  it('a portable DID moves, keeping its SCID and naming its old DID', async () => {
    const log = await fresh({ portable: true });
    log.push(await updateWebvh(log, { signer: K[0], document: moved(log[0].state, true), versionTime: T(2), now: NOW }));
    const state = verifyLog(log, { now: NOW, did: log[0].state.id });
    expect(state.did).toBe(log[0].state.id.replace(':example.com', ':example.org'));
    expect(state.scid).toBe(log[0].parameters.scid);
  });

  it('refuses a move without alsoKnownAs, a move of a non-portable DID, and turning portability on later', async () => {
    const portable = await fresh({ portable: true });
    await expectCodeAsync(() => updateWebvh(portable, { signer: K[0], document: moved(portable[0].state, false), versionTime: T(2), now: NOW }), 'did.webvh_portability');
    const fixed = await fresh();
    await expectCodeAsync(() => updateWebvh(fixed, { signer: K[0], document: moved(fixed[0].state, true), versionTime: T(2), now: NOW }), 'did.webvh_portability');
    await expectCodeAsync(() => updateWebvh(fixed, { signer: K[0], parameters: { portable: true }, versionTime: T(2), now: NOW }), 'did.webvh_invalid_parameters');
    // turning it off is final
    portable.push(await updateWebvh(portable, { signer: K[0], parameters: { portable: false }, versionTime: T(2), now: NOW }));
    await expectCodeAsync(() => updateWebvh(portable, { signer: K[0], document: moved(portable[0].state, true), versionTime: T(3), now: NOW }), 'did.webvh_portability');
  });

  it('refuses a well-formed SCID swap in state.id, portable or not', async () => {
    const log = await fresh({ portable: true });
    const other = 'QmfGEUAcMpzo25kF2Rhn8L5FAXysfGnkzjwdKoNPi615XQ';
    const doc = moved(log[0].state, true);
    const swapped = JSON.parse(JSON.stringify(doc).split(log[0].parameters.scid as string).join(other)) as DidDocument;
    swapped.alsoKnownAs = [log[0].state.id];
    const entry = await craft(log, { parameters: {}, state: swapped, versionTime: T(2) }, K[0]);
    expectCode(() => verifyLog([...log, entry], { now: NOW }), 'did.webvh_invalid_scid');
  });
});

describe('did:webvh witnesses', () => {
  const W = [webvhSigner(seed(0x10)), webvhSigner(seed(0x11))];
  const rule = (threshold: number, n = 2) => ({ threshold, witnesses: W.slice(0, n).map((w) => ({ id: `did:key:${multikeyOfSigner(w)}` })) });

  it('a witnessed entry needs the threshold of distinct witness proofs', async () => {
    const log = await fresh({ witness: rule(2) });
    const vid = log[0].versionId;
    expectCode(() => verifyLog(log, { now: NOW }), 'did.webvh_witness');
    const p0 = await createWitnessProof(vid, W[0], T(1));
    const p1 = await createWitnessProof(vid, W[1], T(1));
    expect(verifyLog(log, { now: NOW, witnessProofs: [{ versionId: vid, proof: [p0, p1] }] }).versionId).toBe(vid);
    // one witness twice is one approval
    expectCode(() => verifyLog(log, { now: NOW, witnessProofs: [{ versionId: vid, proof: [p0, p0] }] }), 'did.webvh_witness');
    // a proof by someone else, or for a versionId not in this log, does not count
    const stranger = await createWitnessProof(vid, K[3], T(1));
    const otherVid = '1-QmfGEUAcMpzo25kF2Rhn8L5FAXysfGnkzjwdKoNPi615XQ';
    const elsewhere = await createWitnessProof(otherVid, W[1], T(1));
    expectCode(
      () => verifyLog(log, { now: NOW, witnessProofs: [{ versionId: vid, proof: [p0, stranger] }, { versionId: otherVid, proof: [elsewhere] }] }),
      'did.webvh_witness',
    );
    // a tampered proof is discarded
    const bad = { ...p1, proofValue: p0.proofValue };
    expectCode(() => verifyLog(log, { now: NOW, witnessProofs: [{ versionId: vid, proof: [p0, bad] }] }), 'did.webvh_witness');
    expectCode(() => verifyLog(log, { now: NOW, witnessProofs: 'not json' }), 'did.webvh_witness');
  });

  it('a proof for a later entry approves the earlier ones; a replacement rule applies after its entry', async () => {
    const log = await fresh({ witness: rule(2) });
    log.push(await updateWebvh(log, { signer: K[0], parameters: { witness: rule(1, 1) }, versionTime: T(2), now: NOW }));
    const v2 = log[1].versionId;
    const only0 = [{ versionId: v2, proof: [await createWitnessProof(v2, W[0], T(2))] }];
    // entry 2 is still under the 2-of-2 rule of entry 1
    expectCode(() => verifyLog(log, { now: NOW, witnessProofs: only0 }), 'did.webvh_witness');
    const both = [{ versionId: v2, proof: [only0[0].proof[0], await createWitnessProof(v2, W[1], T(2))] }];
    expect(verifyLog(log, { now: NOW, witnessProofs: both }).versionNumber).toBe(2);
    log.push(await updateWebvh(log, { signer: K[0], versionTime: T(3), now: NOW }));
    const v3 = log[2].versionId;
    // entry 3 is under 1-of-1 (W0); W0 on v3 alone does not cover entries 1-2 (2-of-2)
    const v3proof = { versionId: v3, proof: [await createWitnessProof(v3, W[0], T(3))] };
    expectCode(() => verifyLog(log, { now: NOW, witnessProofs: [v3proof] }), 'did.webvh_witness');
    expect(verifyLog(log, { now: NOW, witnessProofs: [...both, v3proof] }).versionNumber).toBe(3);
  });

  it('refuses malformed witness rules', async () => {
    const id = `did:key:${multikeyOfSigner(W[0])}`;
    for (const witness of [
      { threshold: 0, witnesses: [{ id }] },
      { threshold: 2, witnesses: [{ id }] },
      { threshold: 1.5, witnesses: [{ id }] },
      { threshold: '1', witnesses: [{ id }] },
      { threshold: 1, witnesses: [] },
      { threshold: 2, witnesses: [{ id }, { id }] },
      { threshold: 1, witnesses: [{ id: 'did:web:example.com' }] },
      { threshold: 1, witnesses: [{ id }], extra: true },
    ]) {
      await expectCodeAsync(() => fresh({ parameters: { witness: witness as never } }), 'did.webvh_invalid_parameters');
    }
  });
});

describe('did:webvh refuses tampered and malformed entries', () => {
  it('tampered content, proof, proof options or shape', async () => {
    const log = await fresh();
    log.push(await updateWebvh(log, { signer: K[0], versionTime: T(2), now: NOW }));
    const mutate = (f: (e: LogEntry) => void): LogEntry[] => {
      const copy = JSON.parse(JSON.stringify(log)) as LogEntry[];
      f(copy[1]);
      return copy;
    };
    expectCode(() => verifyLog(mutate((e) => (e.state.alsoKnownAs = ['did:web:evil.example'])), { now: NOW }), 'did.webvh_invalid_entry_hash');
    expectCode(() => verifyLog(mutate((e) => (e.proof[0].proofValue = log[0].proof[0].proofValue)), { now: NOW }), 'did.webvh_invalid_proof');
    expectCode(() => verifyLog(mutate((e) => (e.proof[0].created = T(9))), { now: NOW }), 'did.webvh_invalid_proof');
    expectCode(() => verifyLog(mutate((e) => (e.proof[0].proofPurpose = 'authentication')), { now: NOW }), 'did.webvh_invalid_proof');
    expectCode(() => verifyLog(mutate((e) => (e.proof = [])), { now: NOW }), 'did.webvh_invalid_entry');
    expectCode(() => verifyLog(mutate((e) => ((e as unknown as Record<string, unknown>).extra = 1)), { now: NOW }), 'did.webvh_invalid_entry');
    expectCode(() => verifyLog(mutate((e) => (e.versionId = `3-${e.versionId.slice(2)}`)), { now: NOW }), 'did.webvh_invalid_version_id');
    expectCode(() => verifyLog(mutate((e) => (e.versionId = `02-${e.versionId.slice(2)}`)), { now: NOW }), 'did.webvh_invalid_version_id');
    expectCode(() => verifyLog(mutate((e) => (e.versionId = e.versionId.replace('-', '--'))), { now: NOW }), 'did.webvh_invalid_version_id');
    expectCode(() => verifyLog(mutate((e) => (e.versionId = '2-zNotAHash')), { now: NOW }), 'did.webvh_invalid_entry_hash');
    expectCode(() => verifyLog([log[1], log[0]], { now: NOW }), 'did.webvh_invalid_version_id');
    expectCode(() => verifyLog([log[0], log[0]], { now: NOW }), 'did.webvh_invalid_version_id');
    expectCode(() => verifyLog([], { now: NOW }), 'did.webvh_invalid_entry');
    expectCode(() => verifyLog(['x'], { now: NOW }), 'did.webvh_invalid_entry');
  });

  it('versionTime must be UTC, strictly increasing and not in the future', async () => {
    const log = await fresh();
    const at = async (versionTime: string) => [...log, await craft(log, { parameters: {}, versionTime }, K[0])];
    expectCode(() => verifyLog(log, { now: Date.parse(T(1)) - 301_000 }), 'did.webvh_version_time');
    expect(verifyLog(log, { now: Date.parse(T(1)) - 299_000 }).versionTime).toBe(T(1));
    for (const bad of [T(1), '2000-12-31T00:00:00Z', '2001-01-02T01:00:00+01:00', '2001-01-02T00:00:00', '2001-01-02']) {
      const entries = await at(bad);
      expectCode(() => verifyLog(entries, { now: NOW }), 'did.webvh_version_time');
    }
    expect(verifyLog(await at('2001-01-02T00:00:00+00:00'), { now: NOW }).versionNumber).toBe(2);
    expect(verifyLog(await at('2001-01-01T00:00:00.5Z'), { now: NOW }).versionNumber).toBe(2);
  });

  it('parameters: only 1.0 names and values', async () => {
    const log = await fresh();
    const withParams = async (parameters: WebvhLogParameters) => [...log, await craft(log, { parameters, versionTime: T(2) }, K[0])];
    for (const [p, code] of [
      [{ foo: 1 }, 'did.webvh_invalid_parameters'],
      [{ scid: log[0].parameters.scid }, 'did.webvh_invalid_parameters'],
      [{ method: 'did:webvh:0.5' }, 'did.webvh_unsupported_version'],
      [{ updateKeys: ['not-a-key'] }, 'did.webvh_invalid_parameters'],
      [{ ttl: -1 }, 'did.webvh_invalid_parameters'],
      [{ deactivated: 'yes' }, 'did.webvh_invalid_parameters'],
      [{ watchers: [1] }, 'did.webvh_invalid_parameters'],
    ] as [WebvhLogParameters, string][]) {
      const entries = await withParams(p);
      expectCode(() => verifyLog(entries, { now: NOW }), code);
    }
    const ok = verifyLog(await withParams({ method: 'did:webvh:1.0', watchers: null as never, ttl: 60 }), { now: NOW });
    expect(ok.parameters).toMatchObject({ watchers: [], ttl: 60 });
  });
});
