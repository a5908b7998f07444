/**
 * `ssiot did webvh create|update|verify` and `ssiot did resolve --log`
 * (shared/CLI.md): a manufacturer's DID kept in a directory, rotated with
 * pre-rotation, deactivated; logs from the public test suite verified.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWebvhDir } from '../cli/did.ts';
import { multikeyOfSigner, nextKeyHash, parseLog } from '../protocols/did/webvh/index.ts';
import { run, spawnCli } from './support/cli.ts';
import { vectorsDir } from './support/setup-node.ts';


const tmp = (): string => mkdtempSync(join(tmpdir(), 'ssiot-webvh-'));
const secretsOf = (dir: string): { id: string; type: string; privateKeyJwk: { d: string } }[] => JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'));

describe('ssiot did webvh create / verify / resolve', () => {
  it('creates a DID in a directory, verifies and resolves it', async () => {
    const dir = join(tmp(), 'acme');
    const c = await run(['did', 'webvh', 'create', '--domain', 'example.com', '--path', 'dids/acme', '--out', dir]);
    expect(c.status).toBe(0);
    const did: string = c.json.did;
    expect(did).toMatch(/^did:webvh:Qm[1-9A-HJ-NP-Za-km-z]{44}:example\.com:dids:acme$/);
    expect(c.json.versionId).toMatch(/^1-Qm/);
    const secrets = secretsOf(dir);
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toMatchObject({ type: 'JsonWebKey2020', privateKeyJwk: { kty: 'OKP', crv: 'Ed25519' } });
    expect(statSync(join(dir, 'secrets.json')).mode & 0o077).toBe(0);
    expect(readFileSync(join(dir, 'did.jsonl'), 'utf8')).not.toContain(secrets[0].privateKeyJwk.d);

    const v = await run(['did', 'webvh', 'verify', '--log', join(dir, 'did.jsonl'), '--did', did]);
    expect(v.status).toBe(0);
    expect(v.json).toMatchObject({ valid: true, did, versionId: c.json.versionId, deactivated: false });
    expect(v.json.document.assertionMethod).toEqual([secrets[0].id]);

    const r = await run(['did', 'resolve', did, '--log', join(dir, 'did.jsonl')]);
    expect(r.status).toBe(0);
    expect(r.json.id).toBe(did);
    expect(r.json.service.map((s: { id: string }) => s.id)).toEqual(['#files', '#whois']);
    expect(r.json.service[0].serviceEndpoint).toBe('https://example.com/dids/acme/');

    const again = await run(['did', 'webvh', 'create', '--domain', 'example.com', '--out', dir]);
    expect(again.status).toBe(1);
    expect(again.error?.code).toBe('cli.exists');
  });

  it('pre-rotation: --rotate moves to the committed key, commits the next, retires the old one', async () => {
    const dir = tmp();
    const c = await run(['did', 'webvh', 'create', '--domain', 'example.com', '--prerotation', '--out', dir]);
    expect(c.status).toBe(0);
    const before = loadWebvhDir(dir);
    expect(before.nextSigners).toHaveLength(1);
    const committed = multikeyOfSigner(before.nextSigners[0]);
    expect(before.state.parameters.nextKeyHashes).toEqual([nextKeyHash(committed)]);
    expect(secretsOf(dir)).toHaveLength(2);

    const plain = await run(['did', 'webvh', 'update', '--dir', dir]);
    expect(plain.status).toBe(1);
    expect(plain.error?.code).toBe('did.webvh_prerotation');

    const u = await run(['did', 'webvh', 'update', '--dir', dir, '--rotate']);
    expect(u.status).toBe(0);
    expect(u.json.versionId).toMatch(/^2-Qm/);
    const after = loadWebvhDir(dir);
    expect(after.state.parameters.updateKeys).toEqual([committed]);
    expect(after.updateSigner && multikeyOfSigner(after.updateSigner)).toBe(committed);
    expect(after.assertionSecret?.id).toBe(`${c.json.did}#${committed}`);
    expect(after.state.document.assertionMethod).toEqual([`${c.json.did}#${committed}`]);
    const ids = secretsOf(dir).map((s) => s.id);
    expect(ids).toHaveLength(2);
    expect(ids).not.toContain(before.assertionSecret?.id);
    expect(after.nextSigners).toHaveLength(1);

    expect((await run(['did', 'webvh', 'update', '--dir', dir, '--rotate'])).status).toBe(0);
    const v = await run(['did', 'webvh', 'verify', '--log', join(dir, 'did.jsonl')]);
    expect(v.json).toMatchObject({ valid: true, versionNumber: 3 });
  });

  it('without pre-rotation: plain update, --rotate, then --prerotation starts committing', async () => {
    const dir = tmp();
    expect((await run(['did', 'webvh', 'create', '--domain', 'example.com', '--out', dir])).status).toBe(0);
    expect((await run(['did', 'webvh', 'update', '--dir', dir])).json.versionId).toMatch(/^2-/);
    const oldKey = loadWebvhDir(dir).state.parameters.updateKeys[0];
    expect((await run(['did', 'webvh', 'update', '--dir', dir, '--rotate'])).status).toBe(0);
    const rotated = loadWebvhDir(dir).state;
    expect(rotated.parameters.updateKeys).not.toEqual([oldKey]);
    expect(JSON.stringify(rotated.document)).not.toContain(oldKey);
    expect((await run(['did', 'webvh', 'update', '--dir', dir, '--prerotation'])).status).toBe(0);
    expect(loadWebvhDir(dir).state.parameters.prerotation).toBe(true);
    expect((await run(['did', 'webvh', 'update', '--dir', dir])).error?.code).toBe('did.webvh_prerotation');
    expect((await run(['did', 'webvh', 'update', '--dir', dir, '--rotate'])).status).toBe(0);
    expect(loadWebvhDir(dir).state.versionNumber).toBe(5);
  });

  it('publishes a new document with --document', async () => {
    const dir = tmp();
    const { json } = await run(['did', 'webvh', 'create', '--domain', 'example.com', '--out', dir]);
    const doc = { ...loadWebvhDir(dir).state.document, service: [{ id: '#support', type: 'LinkedDomains', serviceEndpoint: 'https://example.com/support' }] };
    writeFileSync(join(dir, 'doc.json'), JSON.stringify(doc));
    expect((await run(['did', 'webvh', 'update', '--dir', dir, '--document', join(dir, 'doc.json')])).status).toBe(0);
    const r = await run(['did', 'resolve', json.did, '--log', join(dir, 'did.jsonl')]);
    expect(r.json.service.map((s: { id: string }) => s.id)).toEqual(['#support', '#files', '#whois']);
  });

  it('deactivates: verify reports it, resolve and further updates refuse', async () => {
    const dir = tmp();
    const { json } = await run(['did', 'webvh', 'create', '--domain', 'example.com', '--prerotation', '--out', dir]);
    const d = await run(['did', 'webvh', 'update', '--dir', dir, '--deactivate']);
    expect(d.status).toBe(0);
    const v = await run(['did', 'webvh', 'verify', '--log', join(dir, 'did.jsonl')]);
    expect(v.status).toBe(0);
    expect(v.json).toMatchObject({ valid: true, deactivated: true, versionNumber: 2 });
    const r = await run(['did', 'resolve', json.did, '--log', join(dir, 'did.jsonl')]);
    expect(r.status).toBe(1);
    expect(r.error?.code).toBe('did.webvh_deactivated');
    const u = await run(['did', 'webvh', 'update', '--dir', dir, '--rotate']);
    expect(u.error?.code).toBe('did.webvh_deactivated');
  });

  it('verify prints the failure and exits 1 for a tampered or broken log', async () => {
    const dir = tmp();
    await run(['did', 'webvh', 'create', '--domain', 'example.com', '--out', dir]);
    await run(['did', 'webvh', 'update', '--dir', dir]);
    const entries = parseLog(readFileSync(join(dir, 'did.jsonl'), 'utf8'));
    entries[1].state.alsoKnownAs = ['did:web:evil.example'];
    writeFileSync(join(dir, 'tampered.jsonl'), entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const t = await run(['did', 'webvh', 'verify', '--log', join(dir, 'tampered.jsonl')]);
    expect(t.status).toBe(1);
    expect(t.json).toEqual({ valid: false, errors: [{ code: 'did.webvh_invalid_entry_hash', message: expect.stringContaining('entryHash') }] });
    writeFileSync(join(dir, 'broken.jsonl'), '{"versionId":');
    const b = await run(['did', 'webvh', 'verify', '--log', join(dir, 'broken.jsonl')]);
    expect(b.status).toBe(1);
    expect(b.json.errors[0].code).toBe('did.webvh_invalid_entry');
    const other = await run(['did', 'webvh', 'verify', '--log', join(dir, 'did.jsonl'), '--did', 'did:webvh:QmfGEUAcMpzo25kF2Rhn8L5FAXysfGnkzjwdKoNPi615XQ:example.com']);
    expect(other.json.errors[0].code).toBe('did.webvh_did_mismatch');
  });

  it('usage and input errors', async () => {
    const dir = tmp();
    const bad = await run(['did', 'webvh', 'create', '--domain', '127.0.0.1', '--out', dir]);
    expect(bad.status).toBe(1);
    expect(bad.error?.code).toBe('did.webvh_invalid_did');
    const noOut = await run(['did', 'webvh', 'create', '--domain', 'example.com']);
    expect(noOut.status).toBe(2);
    expect(noOut.error?.code).toBe('cli.usage');
    const missing = await run(['did', 'webvh', 'update', '--dir', join(dir, 'nothing')]);
    expect(missing.error?.code).toBe('cli.io');
    const logForKey = await run(['did', 'resolve', 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG', '--log', 'x']);
    expect(logForKey.error?.code).toBe('cli.usage');
    for (const cmd of ['create', 'update', 'verify']) {
      const h = await run(['did', 'webvh', cmd, '--help']);
      expect(h.status).toBe(0);
      expect(h.stdout).toContain(`ssiot did webvh ${cmd}`);
    }
  });
});

describe('ssiot did webvh verify / resolve on the public test suite', () => {
  const V = join(vectorsDir, 'didwebvh/vectors');

  it('verifies a pre-rotation log and a witnessed one (did-witness.json beside it)', async () => {
    const p = await run(['did', 'webvh', 'verify', '--log', join(V, 'pre-rotation-consume/ts/did.jsonl')]);
    expect(p.json).toMatchObject({ valid: true, versionId: '3-QmaX9bpujdGUBPy9NLxyESmurnLff6SrkLiJQpkjtbLZBj' });
    const w = await run(['did', 'webvh', 'verify', '--log', join(V, 'witness-threshold/ts/did.jsonl')]);
    expect(w.json).toMatchObject({ valid: true, versionNumber: 1 });
    const n = await run(['did', 'webvh', 'verify', '--log', join(V, 'negative-wrong-cryptosuite/ts/did.jsonl')]);
    expect(n.status).toBe(1);
    expect(n.json.errors[0].code).toBe('did.webvh_invalid_proof');
  });

  it('resolves an earlier version with a DID URL query', async () => {
    const log = join(V, 'multi-update/ts/did.jsonl');
    const did = parseLog(readFileSync(log, 'utf8'))[0].state.id;
    const r = await run(['did', 'resolve', `${did}?versionNumber=1`, '--log', log]);
    expect(r.status).toBe(0);
    expect(r.json.alsoKnownAs).toBeUndefined();
    const head = await run(['did', 'resolve', did, '--log', log]);
    expect(head.json.alsoKnownAs).toEqual(['did:web:example.com', 'did:web:example.org']);
  });
});

describe('ssiot did webvh (real process)', () => {
  it('create then verify through bin/ssiot.js', async () => {
    const dir = tmp();
    const c = await spawnCli(['did', 'webvh', 'create', '--domain', 'example.com', '--prerotation', '--out', dir], { env: process.env });
    expect(c.status, c.stderr).toBe(0);
    const { did } = JSON.parse(c.stdout);
    const v = await spawnCli(['did', 'webvh', 'verify', '--log', join(dir, 'did.jsonl')], { env: process.env });
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, did });
  });
});
