/**
 * `ssiot firmware sign|inspect|verify` (shared/CLI.md) against manufacturer
 * directories made by `ssiot did webvh create|update`: signing with the
 * assertionMethod key, the device-side checks of `verify` (signature, image,
 * vendor/class, anti-rollback, key rotation, incremental log from an
 * anchor), typed errors, and one run through the real binary.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cborDecode } from '../protocols/encoding/cbor.ts';
import { makeImage } from '../device/updater/testbed.ts';
import { run, spawnCli } from './support/cli.ts';
import { vectorsDir } from './support/setup-node.ts';

const VENDOR = 'fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe';
const CLASS = '1492af14-2569-5e48-bf42-9b2d51f2ab45';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ssiot-fw-'));

async function manufacturer(prerotation = false): Promise<{ dir: string; did: string; work: string }> {
  const work = tmp();
  const dir = join(work, 'acme');
  const c = await run(['did', 'webvh', 'create', '--domain', 'firmware.example.com', ...(prerotation ? ['--prerotation'] : []), '--out', dir]);
  expect(c.status).toBe(0);
  return { dir, did: c.json.did, work };
}

function writeImage(work: string, name: string, bytes: Uint8Array): string {
  const p = join(work, name);
  writeFileSync(p, bytes);
  return p;
}

const signArgs = (dir: string, image: string, out: string, seq: number) => [
  'firmware', 'sign', '--image', image, '--vendor-id', VENDOR, '--class-id', CLASS, '--seq', String(seq), '--dir', dir, '--uri', 'https://firmware.example.com/g1.bin', '--out', out,
];

describe('ssiot firmware sign / inspect / verify', () => {
  it('signs with the assertionMethod key of the DID, inspects, verifies', async () => {
    const { dir, did, work } = await manufacturer();
    const img = makeImage(100_000, 1);
    const image = writeImage(work, 'fw.bin', img);
    const out = join(work, 'fw.suit');
    const s = await run(signArgs(dir, image, out, 42));
    expect(s.status).toBe(0);
    expect(s.json).toMatchObject({ size: 100_000, sequence: 42, did, alg: 'EdDSA' });
    expect(s.json.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(s.json.kid.startsWith(`${did}#z6Mk`)).toBe(true);
    const log = readFileSync(join(dir, 'did.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log[0].state.assertionMethod).toContain(s.json.kid);
    // the file is a SUIT_Envelope_Tagged
    expect((cborDecode(new Uint8Array(readFileSync(out)), { maps: 'map' }) as { tag: number }).tag).toBe(107);

    const i = await run(['firmware', 'inspect', '--manifest', out]);
    expect(i.status).toBe(0);
    expect(i.json.authentication).toMatchObject({ digestMatches: true, signatures: [{ alg: 'EdDSA', kid: s.json.kid }] });
    expect(i.json.manifest['manifest-sequence-number']).toBe(42);
    expect(i.json.image).toMatchObject({ vendorId: VENDOR, classId: CLASS, size: 100_000, uri: 'https://firmware.example.com/g1.bin', digest: { algorithm: 'sha-256', bytes: s.json.digest } });

    const v = await run(['firmware', 'verify', '--manifest', out, '--image', image, '--log', join(dir, 'did.jsonl'), '--vendor-id', VENDOR, '--class-id', CLASS, '--installed-seq', '41']);
    expect(v.status).toBe(0);
    expect(v.json).toEqual({ valid: true, sequence: 42, signer: s.json.kid, reasons: [] });
  });

  it('verify lists what is wrong: image, vendor, class, anti-rollback', async () => {
    const { dir, work } = await manufacturer();
    const img = makeImage(5000, 2);
    const image = writeImage(work, 'fw.bin', img);
    const out = join(work, 'fw.suit');
    expect((await run(signArgs(dir, image, out, 7))).status).toBe(0);
    const log = join(dir, 'did.jsonl');
    const verify = async (imagePath: string, extra: string[] = []) => run(['firmware', 'verify', '--manifest', out, '--image', imagePath, '--log', log, ...extra]);
    const flipped = img.slice();
    flipped[100] ^= 1;
    const cases: [string, string[], string[]][] = [
      [writeImage(work, 'bit.bin', flipped), [], ['firmware.digest_mismatch']],
      [writeImage(work, 'short.bin', img.subarray(0, 4999)), [], ['firmware.image_too_short']],
      [writeImage(work, 'long.bin', new Uint8Array([...img, 0])), [], ['firmware.image_too_long']],
      [image, ['--installed-seq', '7'], ['firmware.replay']],
      [image, ['--installed-seq', '8'], ['firmware.rollback']],
      [image, ['--vendor-id', CLASS], ['firmware.wrong_vendor']],
      [image, ['--class-id', VENDOR], ['firmware.wrong_class']],
    ];
    for (const [imagePath, extra, codes] of cases) {
      const v = await verify(imagePath, extra);
      expect(v.status).toBe(1);
      expect(v.json.valid).toBe(false);
      expect(v.json.reasons.map((r: { code: string }) => r.code)).toEqual(codes);
    }
  });

  it('after a key rotation with pre-rotation, manifests of the old key are refused and new ones verify from the anchor', async () => {
    const { dir, work } = await manufacturer(true);
    const image = writeImage(work, 'fw.bin', makeImage(3000, 3));
    const before = join(work, 'before.suit');
    const first = await run(signArgs(dir, image, before, 1));
    expect(first.status).toBe(0);
    const rot = await run(['did', 'webvh', 'update', '--dir', dir, '--rotate']);
    expect(rot.status).toBe(0);
    const after = join(work, 'after.suit');
    const second = await run(signArgs(dir, image, after, 2));
    expect(second.status).toBe(0);
    expect(second.json.kid).not.toBe(first.json.kid);
    const log = join(dir, 'did.jsonl');
    const old = await run(['firmware', 'verify', '--manifest', before, '--image', image, '--log', log]);
    expect(old.status).toBe(1);
    expect(old.json.reasons.map((r: { code: string }) => r.code)).toEqual(['firmware.key_not_authorized']);
    const oldFromAnchor = await run(['firmware', 'verify', '--manifest', before, '--image', image, '--log', log, '--anchor-version', '1']);
    expect(oldFromAnchor.json.reasons.map((r: { code: string }) => r.code)).toEqual(['firmware.key_not_authorized']);
    const fresh = await run(['firmware', 'verify', '--manifest', after, '--image', image, '--log', log, '--anchor-version', '1']);
    expect(fresh.json).toEqual({ valid: true, sequence: 2, signer: second.json.kid, reasons: [] });
  });

  it('verify refuses a tampered log and a log of another DID', async () => {
    const { dir, work } = await manufacturer();
    const other = await manufacturer();
    const image = writeImage(work, 'fw.bin', makeImage(1000, 4));
    const out = join(work, 'fw.suit');
    expect((await run(signArgs(dir, image, out, 1))).status).toBe(0);
    const lines = readFileSync(join(dir, 'did.jsonl'), 'utf8').trim().split('\n');
    const entry = JSON.parse(lines[0]);
    entry.state.assertionMethod.push(`${entry.state.id}#evil`);
    const forged = join(work, 'forged.jsonl');
    writeFileSync(forged, JSON.stringify(entry) + '\n');
    const v = await run(['firmware', 'verify', '--manifest', out, '--image', image, '--log', forged]);
    expect(v.status).toBe(1);
    expect(v.json.reasons[0].code).toMatch(/^did\.webvh_/);
    const w = await run(['firmware', 'verify', '--manifest', out, '--image', image, '--log', join(other.dir, 'did.jsonl')]);
    expect(w.json.reasons.map((r: { code: string }) => r.code)).toEqual(['firmware.wrong_signer']);
  });

  it('inspects the draft examples; malformed input is a typed error', async () => {
    const i = await run(['firmware', 'inspect', '--manifest', writeHexFile('example1-signed.hex')]);
    expect(i.status).toBe(0);
    expect(i.json.image.uri).toBe('http://example.com/file.bin');
    expect(i.json.authentication.signatures[0].alg).toBe('ES256');
    const work = tmp();
    const bad = join(work, 'bad.suit');
    writeFileSync(bad, new Uint8Array([0xd8, 0x6b, 0xa2, 0x02]));
    const b = await run(['firmware', 'inspect', '--manifest', bad]);
    expect(b.status).toBe(1);
    expect(b.error?.code).toBe('firmware.malformed');
    const big = join(work, 'big.suit');
    writeFileSync(big, new Uint8Array(70_000));
    expect((await run(['firmware', 'inspect', '--manifest', big])).error?.code).toBe('firmware.too_large');
    expect((await run(['firmware', 'inspect', '--manifest', join(work, 'none')])).error?.code).toBe('cli.io');
  });

  it('usage errors exit 2 with cli.usage', async () => {
    const { dir, work } = await manufacturer();
    const image = writeImage(work, 'fw.bin', makeImage(10, 5));
    const out = join(work, 'x.suit');
    for (const argv of [
      ['firmware', 'sign', '--image', image, '--dir', dir, '--out', out],
      ['firmware', 'sign', ...signArgs(dir, image, out, 1).slice(2).map((a) => (a === VENDOR ? 'not-a-uuid' : a))],
      ['firmware', 'sign', ...signArgs(dir, image, out, 1).slice(2).map((a) => (a === '1' ? '-1' : a))],
    ]) {
      const r = await run(argv);
      expect(r.status).toBe(2);
      expect(r.error?.code).toBe('cli.usage');
    }
    const noKey = await run(signArgs(join(work, 'nowhere'), image, out, 1));
    expect(noKey.error?.code).toBe('cli.io');
  });

  it('works through the real binary', async () => {
    const { dir, work } = await manufacturer();
    const image = writeImage(work, 'fw.bin', makeImage(2048, 6));
    const out = join(work, 'fw.suit');
    const s = await spawnCli(signArgs(dir, image, out, 3), { env: process.env });
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout).sequence).toBe(3);
    const v = await spawnCli(['firmware', 'verify', '--manifest', out, '--image', image, '--log', join(dir, 'did.jsonl')], { env: process.env });
    expect(JSON.parse(v.stdout).valid).toBe(true);
    const bad = writeImage(work, 'bad.bin', makeImage(2048, 7));
    const f = await spawnCli(['firmware', 'verify', '--manifest', out, '--image', bad, '--log', join(dir, 'did.jsonl')], { env: process.env });
    expect(f.status).toBe(1);
    expect(JSON.parse(f.stdout).reasons[0].code).toBe('firmware.digest_mismatch');
  });
});

function writeHexFile(name: string): string {
  const hex = readFileSync(join(vectorsDir, 'suit', name), 'utf8').trim();
  const p = join(tmp(), name.replace('.hex', '.suit'));
  writeFileSync(p, Buffer.from(hex, 'hex'));
  return p;
}
