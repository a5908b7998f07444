/**
 * The manufacturer's identity (manufacturer/identity) over real sockets:
 * the did:webvh log served where the spec puts it and resolved by the
 * repo's resolver through the test server, a restart keeping DID and keys,
 * rotation with pre-rotation (new keys resolve; certificates and firmware
 * signed with the identity's signers verify as the factory station, owners
 * and the device updater check them), rotations that do not follow the
 * commitment refused, a wrong master key refused with nothing changed, the
 * key sources, and key material absent from logs, responses and the
 * database file.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCrypto, installCrypto } from '../protocols/crypto/index.ts';
import { nodeCrypto } from '../hosts/node/crypto.ts';
import { createDidKey } from '../protocols/did/key.ts';
import { createDefaultResolver } from '../protocols/did/resolver.ts';
import { nextKeyHashOf, updateWebvh, webvhSigner } from '../protocols/did/webvh/create.ts';
import { parseLog } from '../protocols/did/webvh/log.ts';
import { resolveWebvh, webvhResolver, type WebvhFetch } from '../protocols/did/webvh/resolve.ts';
import { publicKeyToMultikey } from '../protocols/did/keys.ts';
import { base64Encode, base64urlEncode } from '../protocols/encoding/base64url.ts';
import { bytesToHex } from '../protocols/encoding/bytes.ts';
import { DidError } from '../protocols/errors.ts';
import { signEnvelope } from '../protocols/firmware/envelope.ts';
import { encodeManifest } from '../protocols/firmware/manifest.ts';
import { verifyDeviceCertificate } from '../protocols/vc/device-credentials.ts';
import { importItems } from '../protocols/wallet/export.ts';
import { MIN_ARGON2 } from '../protocols/wallet/kdf.ts';
import { KeyValueStorage } from '../protocols/wallet/kv.ts';
import { Wallet } from '../protocols/wallet/wallet.ts';
import { KEY_TYPE } from '../protocols/wallet/wallet-keys.ts';
import { advanceManufacturer, authenticateRelease } from '../device/updater/release.ts';
import { CLASS_ID, VENDOR_ID } from '../device/updater/testbed.ts';
import { issueDeviceCertificate } from '../manufacturer/factory-station.ts';
import {
  envKeySource,
  fileKeySource,
  identityPlugin,
  ManufacturerIdentity,
  SqliteKeyValue,
  staticKeySource,
  type IdentityAuthorize,
  type KeySource,
} from '../manufacturer/identity/index.ts';
import { expectCodeAsync } from './support/assert.ts';

installCrypto(nodeCrypto);
const crypto = getCrypto();

const DOMAIN = 'grinders.example';
const STAFF = { 'x-test-staff': 'yes' };
/** Stand-in for the console's staff check. */
const staffOnly: IdentityAuthorize = async (request, reply) => {
  if (request.headers['x-test-staff'] !== 'yes') return reply.code(401).send({ error: { code: 'console.unauthenticated', message: 'sign in' } });
};

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ssiot-identity-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Served {
  app: FastifyInstance;
  base: string;
  logLines: string[];
  /** A did:webvh fetch that sends https://<domain>/… to the test server (the DID's domain is a DNS name, the server 127.0.0.1). */
  fetch: WebvhFetch;
  fetched: string[];
}

async function serve(identity: ManufacturerIdentity, authorize?: IdentityAuthorize): Promise<Served> {
  const logLines: string[] = [];
  const app = Fastify({ logger: { level: 'trace', stream: { write: (line: string) => void logLines.push(line) } } });
  await app.register(identityPlugin, { identity, authorize });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const fetched: string[] = [];
  const fetchVia: WebvhFetch = async (url) => {
    fetched.push(url);
    const u = new URL(url);
    const res = await fetch(base + u.pathname, { redirect: 'error' });
    if (res.status === 404) throw new DidError('did.not_found', `no DID log at ${url}`);
    if (!res.ok) throw new DidError('did.webvh_fetch_failed', `GET ${url}: HTTP ${res.status}`);
    return res.text();
  };
  return { app, base, logLines, fetch: fetchVia, fetched };
}

async function getJson(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.json() };
}

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

function tableSnapshot(db: Database.Database): string {
  const log = db.prepare('SELECT version, version_id, reason, entry FROM identity_log ORDER BY version').all();
  const wallet = db.prepare('SELECT key, hex(value) AS v FROM identity_wallet ORDER BY key').all();
  return JSON.stringify({ log, wallet });
}

/** Every private key the wallet holds, read through an encrypted export (the only way one leaves a wallet). */
async function walletSecrets(db: Database.Database, master: Uint8Array): Promise<Uint8Array[]> {
  const w = await Wallet.open(await KeyValueStorage.open(new SqliteKeyValue(db)), { rawKey: master });
  const exportKey = { passphrase: 'test-export', argon2: MIN_ARGON2 };
  const items = importItems(await w.export(exportKey), exportKey);
  await w.close();
  return items.filter((i) => i.type === KEY_TYPE).map((i) => Uint8Array.from(Buffer.from((JSON.parse(i.value) as { d: string }).d, 'base64url')));
}

function spellings(secret: Uint8Array): string[] {
  return [base64urlEncode(secret), base64Encode(secret), bytesToHex(secret), bytesToHex(secret).toUpperCase()];
}

async function manifestSignedBy(identity: ManufacturerIdentity, sequence: number): Promise<Uint8Array> {
  const image = new Uint8Array(64).fill(sequence);
  const manifest = encodeManifest({
    sequenceNumber: sequence,
    vendorId: VENDOR_ID,
    classId: CLASS_ID,
    image: { digest: crypto.sha256(image), size: image.length },
    uri: `https://${DOMAIN}/firmware/${sequence}.bin`,
  });
  return signEnvelope(manifest, await identity.firmwareSigner());
}

function deviceDescription(serial: string) {
  return { did: createDidKey().did, model: 'Grinder One', serial, vendorId: '0xFFF1', classId: 'coffee-grinder', hardwareRevision: 'rev-B' };
}

describe('manufacturer identity: did:webvh served, resolved, rotated', () => {
  const dir = tempDir();
  const dbPath = join(dir, 'service.db');
  const master = crypto.randomBytes(32);
  const keySource = staticKeySource(master, 'test key');
  let db: Database.Database;
  let identity: ManufacturerIdentity;
  let served: Served;

  beforeAll(async () => {
    db = new Database(dbPath);
    identity = await ManufacturerIdentity.open({ db, keySource, domain: DOMAIN });
    served = await serve(identity, staffOnly);
  });
  afterAll(async () => {
    await served?.app.close();
    await identity?.close();
    db?.close();
  });

  it('creates a did:webvh with pre-rotation and serves did.jsonl at /.well-known as text/jsonl', async () => {
    expect(identity.did).toMatch(/^did:webvh:[1-9A-HJ-NP-Za-km-z]{46}:grinders\.example$/);
    expect(identity.logPath()).toBe('/.well-known/did.jsonl');
    const entry = identity.log()[0];
    expect(entry.parameters.nextKeyHashes).toHaveLength(1);
    expect(entry.parameters.updateKeys).toHaveLength(1);
    const res = await fetch(served.base + '/.well-known/did.jsonl');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/jsonl/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const text = await res.text();
    expect(text).toBe(identity.logText());
    expect(text.endsWith('\n')).toBe(true);
    // revalidation: same version, 304
    const again = await fetch(served.base + '/.well-known/did.jsonl', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(served.base + '/did.jsonl')).status).toBe(404);
  });

  it('resolves over HTTP with the repo resolver; the document carries the certificate and firmware assertion keys', async () => {
    const r = await resolveWebvh(identity.did, { fetch: served.fetch });
    expect(served.fetched).toContain(`https://${DOMAIN}/.well-known/did.jsonl`);
    expect(r.didDocumentMetadata.versionNumber).toBe(1);
    const { keys } = identity.summary();
    expect(keys.certificate.id).toBe(`${identity.did}#cert-1`);
    expect(keys.firmware.id).toBe(`${identity.did}#firmware-1`);
    expect(r.didDocument.assertionMethod).toEqual([keys.certificate.id, keys.firmware.id]);
    const mks = (r.didDocument.verificationMethod ?? []).map((m) => m.publicKeyMultibase);
    expect(mks).toEqual([keys.certificate.publicKeyMultibase, keys.firmware.publicKeyMultibase]);
    // the signing keys are not the update key (which only controls the log)
    expect(mks).not.toContain(keys.updateKeys[0]);
  });

  it('GET /api/identity shows DID, keys and history', async () => {
    const { status, body } = await getJson(served.base, '/api/identity');
    expect(status).toBe(200);
    expect(body.did).toBe(identity.did);
    expect(body.logUrl).toBe(`https://${DOMAIN}/.well-known/did.jsonl`);
    expect(body.keys).toEqual(identity.summary().keys);
    expect(body.history).toHaveLength(1);
    expect(body.history[0].reason).toBe('created');
  });

  it('signs device certificates the factory station issues and an owner verifies through the served log', async () => {
    const device = deviceDescription('SN-1');
    const certificate = await issueDeviceCertificate(device, { signer: await identity.certificateSigner(), log: identity.log() });
    const resolver = createDefaultResolver().register('webvh', webvhResolver({ fetch: served.fetch }));
    const described = await verifyDeviceCertificate(certificate, { resolver, manufacturerDid: identity.did });
    expect(described.serial).toBe('SN-1');
  });

  it('rotation needs authorization; the rotated log resolves with the new keys, old certificates still verify, old firmware does not', async () => {
    const anchor = identity.webvhState(); // what a device pinned at manufacture
    const before = identity.summary();
    const oldCertificate = await issueDeviceCertificate(deviceDescription('SN-2'), { signer: await identity.certificateSigner(), log: identity.log() });
    const oldFirmwareSigner = await identity.firmwareSigner();
    const oldRelease = await manifestSignedBy(identity, 1);
    expect((await authenticateRelease(oldRelease, anchor)).kid).toBe(before.keys.firmware.id);

    const refused = await post(served.base, '/api/identity/rotate', {});
    expect(refused.status).toBe(401);
    expect(identity.log()).toHaveLength(1);
    for (const invalid of [{ reason: '' }, { reason: 'x'.repeat(201) }, { revokeCertificateKeys: 'maybe' }, { reason: 'two\nlines' }]) {
      const bad = await post(served.base, '/api/identity/rotate', invalid, STAFF);
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('identity.invalid_request');
    }
    expect(identity.log()).toHaveLength(1);

    const { status, body } = await post(served.base, '/api/identity/rotate', { reason: 'yearly rotation' }, STAFF);
    expect(status).toBe(200);
    expect(body.versionNumber).toBe(2);
    // the committed key became the update key, and a new key is committed
    expect(nextKeyHashOf(body.keys.updateKeys[0])).toBe(before.keys.nextKeyHashes[0]);
    expect(body.keys.nextKeyHashes).toHaveLength(1);
    expect(body.keys.nextKeyHashes[0]).not.toBe(before.keys.nextKeyHashes[0]);
    expect(body.keys.certificate.id).toBe(`${identity.did}#cert-2`);
    expect(body.keys.firmware.id).toBe(`${identity.did}#firmware-2`);
    expect(body.keys.certificate.publicKeyMultibase).not.toBe(before.keys.certificate.publicKeyMultibase);
    expect(body.keys.firmware.publicKeyMultibase).not.toBe(before.keys.firmware.publicKeyMultibase);
    expect(body.keys.retiredCertificates).toEqual([before.keys.certificate]);

    // resolution through the server shows the new keys; the old entry stays in the log
    const r = await resolveWebvh(identity.did, { fetch: served.fetch });
    expect(r.didDocumentMetadata.versionNumber).toBe(2);
    expect(r.didDocument.assertionMethod).toEqual([body.keys.certificate.id, body.keys.firmware.id, before.keys.certificate.id]);
    const served2 = parseLog(await (await fetch(served.base + '/.well-known/did.jsonl')).text());
    expect(served2).toHaveLength(2);
    expect(served2[0]).toEqual(identity.log()[0]);
    const v1 = await resolveWebvh(`${identity.did}?versionNumber=1`, { fetch: served.fetch });
    expect(v1.didDocument.assertionMethod).toEqual([before.keys.certificate.id, before.keys.firmware.id]);

    // a certificate from before the rotation still verifies; one from the new key too
    const resolver = createDefaultResolver().register('webvh', webvhResolver({ fetch: served.fetch }));
    await verifyDeviceCertificate(oldCertificate, { resolver, manufacturerDid: identity.did });
    const fresh = await issueDeviceCertificate(deviceDescription('SN-3'), { signer: await identity.certificateSigner(), log: identity.log() });
    expect(fresh.proof).toBeDefined();
    await verifyDeviceCertificate(fresh, { resolver, manufacturerDid: identity.did });

    // the device moves its anchor through the new entry: the new firmware key is accepted, the old one refused
    const moved = await advanceManufacturer(anchor, anchor.versionTime, served2, Date.now());
    expect(moved.versionNumber).toBe(2);
    const newRelease = await manifestSignedBy(identity, 2);
    expect((await authenticateRelease(newRelease, moved)).kid).toBe(body.keys.firmware.id);
    await expectCodeAsync(() => authenticateRelease(oldRelease, moved), 'firmware.key_not_authorized');
    // and the old signer's key is gone from the wallet
    await expectCodeAsync(async () => oldFirmwareSigner.sign(new Uint8Array(1)), 'wallet.key_not_found');

    const history = (await getJson(served.base, '/api/identity')).body.history;
    expect(history.map((h: { versionNumber: number; reason: string }) => [h.versionNumber, h.reason])).toEqual([
      [1, 'created'],
      [2, 'yearly rotation'],
    ]);
    expect(history[0].firmwareKey).toEqual(before.keys.firmware);
    expect(history[1].firmwareKey).toEqual(body.keys.firmware);
    expect(served.logLines.some((l) => l.includes('identity keys rotated'))).toBe(true);
  });

  it('a rotation for compromise drops the earlier certificate keys', async () => {
    const before = identity.summary();
    const certificate = await issueDeviceCertificate(deviceDescription('SN-4'), { signer: await identity.certificateSigner(), log: identity.log() });
    const { status, body } = await post(served.base, '/api/identity/rotate', { reason: 'certificate key leaked', revokeCertificateKeys: true }, STAFF);
    expect(status).toBe(200);
    expect(body.versionNumber).toBe(3);
    expect(body.keys.retiredCertificates).toEqual([]);
    const resolver = createDefaultResolver().register('webvh', webvhResolver({ fetch: served.fetch }));
    await expectCodeAsync(() => verifyDeviceCertificate(certificate, { resolver, manufacturerDid: identity.did }), 'vc.invalid_device_certificate');
    const doc = await resolver.resolve(identity.did);
    expect(JSON.stringify(doc)).not.toContain(before.keys.certificate.publicKeyMultibase);
    // only the keys the log needs are left in the wallet: update, committed next, certificate, firmware
    const held = await identity.wallet.keys.list();
    expect(held).toHaveLength(4);
  });

  it('refuses rotations that do not follow the pre-rotation commitment', async () => {
    const log = identity.log();
    const { keys } = identity.summary();
    // an outsider's key, however it signs, was never committed
    const outsider = webvhSigner(crypto.randomBytes(32));
    await expectCodeAsync(
      () => updateWebvh(log, { signer: outsider, rotateTo: { updateKeys: [outsider], nextKeyHashes: [nextKeyHashOf(outsider)] } }),
      'did.webvh_prerotation',
    );
    // even the current update key cannot renew itself: only the committed key may sign the next entry
    const current = keys.updateKeys[0];
    const currentSigner = { verificationMethod: `did:key:${current}#${current}`, algorithm: 'Ed25519' as const, sign: (d: Uint8Array) => identity.wallet.keys.sign(current, d) };
    await expectCodeAsync(
      () => updateWebvh(log, { signer: currentSigner, rotateTo: { updateKeys: [current], nextKeyHashes: keys.nextKeyHashes } }),
      'did.webvh_prerotation',
    );
    await expectCodeAsync(() => updateWebvh(log, { signer: currentSigner }), 'did.webvh_prerotation');

    // the wallet loses the committed key: rotate is refused and nothing changes
    const snapshot = tableSnapshot(db);
    const committed = (await identity.wallet.keys.list()).find((k) => keys.nextKeyHashes.includes(nextKeyHashOf(publicKeyToMultikey(k.publicKey))));
    expect(committed).toBeDefined();
    // put it back afterwards through an export (the test's only way to hold the secret)
    const secrets = await walletSecrets(db, master);
    const secret = secrets.find((s) => publicKeyToMultikey({ kind: 'Ed25519', bytes: crypto.ed25519PublicKey(s) }) === publicKeyToMultikey(committed!.publicKey))!;
    expect(secret).toBeDefined();
    await identity.wallet.keys.delete(committed!.kid);
    const withoutKey = tableSnapshot(db);
    await expectCodeAsync(() => identity.rotate(), 'identity.prerotation_key_missing');
    const http = await post(served.base, '/api/identity/rotate', {}, STAFF);
    expect(http.status).toBe(409);
    expect(http.body.error.code).toBe('identity.prerotation_key_missing');
    expect(tableSnapshot(db)).toBe(withoutKey);
    expect(identity.log()).toEqual(log);
    await identity.wallet.keys.import(committed!.kid, { kind: 'Ed25519', bytes: secret }, { tags: committed!.tags });
    expect(JSON.parse(tableSnapshot(db)).log).toEqual(JSON.parse(snapshot).log);
    const after = await identity.rotate({ reason: 'after restore' });
    expect(after.versionNumber).toBe(4);
  });

  it('keeps the same DID and keys across a restart; a wrong master key is refused and changes nothing', async () => {
    const summary = identity.summary();
    const text = identity.logText();
    await served.app.close();
    await identity.close();
    db.close();

    db = new Database(dbPath);
    const before = tableSnapshot(db);
    await expectCodeAsync(() => ManufacturerIdentity.open({ db, keySource: staticKeySource(crypto.randomBytes(32)), domain: DOMAIN }), 'identity.wrong_master_key');
    expect(tableSnapshot(db)).toBe(before);
    await expectCodeAsync(() => ManufacturerIdentity.open({ db, keySource, domain: 'other.example' }), 'identity.domain_mismatch');
    expect(tableSnapshot(db)).toBe(before);

    identity = await ManufacturerIdentity.open({ db, keySource, domain: DOMAIN });
    expect(tableSnapshot(db)).toBe(before);
    expect(identity.summary()).toEqual(summary);
    expect(identity.logText()).toBe(text);
    served = await serve(identity, staffOnly);
    const r = await resolveWebvh(identity.did, { fetch: served.fetch });
    expect(r.didDocumentMetadata.versionId).toBe(summary.versionId);
    const rotated = await post(served.base, '/api/identity/rotate', {}, STAFF);
    expect(rotated.status).toBe(200);
    expect(rotated.body.versionNumber).toBe(summary.versionNumber + 1);
    expect((await resolveWebvh(identity.did, { fetch: served.fetch })).didDocumentMetadata.versionNumber).toBe(summary.versionNumber + 1);
  });

  it('never puts key material in logs, responses or the database file in clear', async () => {
    const secrets = [master, ...(await walletSecrets(db, master))];
    expect(secrets.length).toBe(5);
    const responses = [
      await (await fetch(served.base + '/.well-known/did.jsonl')).text(),
      JSON.stringify((await getJson(served.base, '/api/identity')).body),
      JSON.stringify((await post(served.base, '/api/identity/rotate', { reason: 'log check' }, STAFF)).body),
    ];
    // the rotation made new keys: collect them too
    secrets.push(...(await walletSecrets(db, master)));
    const logs = served.logLines.join('\n');
    expect(logs).toContain('identity keys rotated');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const files = [dbPath, `${dbPath}-wal`].filter(existsSync).map((p) => readFileSync(p));
    for (const s of secrets) {
      for (const text of spellings(s)) {
        expect(logs).not.toContain(text);
        for (const r of responses) expect(r).not.toContain(text);
        for (const f of files) expect(f.includes(Buffer.from(text))).toBe(false);
      }
      for (const f of files) expect(f.includes(Buffer.from(s))).toBe(false);
    }
  });
});

describe('manufacturer identity: a DID with a path, no authorize hook', () => {
  it('serves /<path>/did.jsonl, resolves there, and refuses rotation without an authorize hook', async () => {
    const db = new Database(':memory:');
    const identity = await ManufacturerIdentity.open({ db, keySource: staticKeySource(crypto.randomBytes(32)), domain: 'grinders.example:8443', path: 'dids/manufacturer' });
    const served = await serve(identity);
    try {
      expect(identity.did).toMatch(/:grinders\.example%3A8443:dids:manufacturer$/);
      expect(identity.logPath()).toBe('/dids/manufacturer/did.jsonl');
      const r = await resolveWebvh(identity.did, { fetch: served.fetch });
      expect(served.fetched).toEqual([`https://grinders.example:8443/dids/manufacturer/did.jsonl`]);
      expect(r.didDocument.id).toBe(identity.did);
      expect((await fetch(served.base + '/.well-known/did.jsonl')).status).toBe(404);
      const refused = await post(served.base, '/api/identity/rotate', {});
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('identity.forbidden');
      expect(identity.log()).toHaveLength(1);
    } finally {
      await served.app.close();
      await identity.close();
      db.close();
    }
  });

  it('serializes concurrent rotations, and a restart sweeps keys a crashed rotation left behind', async () => {
    const db = new Database(':memory:');
    const keySource = staticKeySource(crypto.randomBytes(32));
    let identity = await ManufacturerIdentity.open({ db, keySource, domain: DOMAIN });
    const [a, b] = await Promise.all([identity.rotate({ reason: 'first' }), identity.rotate({ reason: 'second' })]);
    expect([a.versionNumber, b.versionNumber]).toEqual([2, 3]);
    expect(identity.history().map((h) => h.reason)).toEqual(['created', 'first', 'second']);
    // a rotation that made its keys and died before its log entry: the keys are unused
    const stray = await identity.wallet.keys.create('Ed25519', { tags: { identity: 'certificate' } });
    const other = await identity.wallet.keys.create('X25519', { kid: 'agent-key' }); // the service's own key: not the identity's
    await identity.close();
    identity = await ManufacturerIdentity.open({ db, keySource, domain: DOMAIN });
    const kids = (await identity.wallet.keys.list()).map((k) => k.kid);
    expect(kids).not.toContain(stray.kid);
    expect(kids).toContain(other.kid);
    expect(kids).toHaveLength(5);
    expect((await identity.rotate()).versionNumber).toBe(4);
    await identity.close();
    db.close();
  });

  it('refuses to open a log whose wallet is gone, and an invalid domain before writing', async () => {
    const db = new Database(':memory:');
    const identity = await ManufacturerIdentity.open({ db, keySource: staticKeySource(crypto.randomBytes(32)), domain: DOMAIN });
    await identity.close();
    db.exec('DELETE FROM identity_wallet');
    await expectCodeAsync(() => ManufacturerIdentity.open({ db, keySource: staticKeySource(crypto.randomBytes(32)), domain: DOMAIN }), 'identity.wallet_missing');
    const fresh = new Database(':memory:');
    await expectCodeAsync(() => ManufacturerIdentity.open({ db: fresh, keySource: staticKeySource(crypto.randomBytes(32)), domain: '127.0.0.1' }), 'did.webvh_invalid_did');
    expect(fresh.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'identity_%'").get()).toEqual({ n: 0 });
    db.close();
    fresh.close();
  });
});

describe('master key sources', () => {
  it('file: created 0600 with 32 random bytes on first use, read back the same, refused when others may read it', async () => {
    const path = join(tempDir(), 'master.key');
    const source: KeySource = fileKeySource(path);
    const a = await source.masterKey();
    expect(a).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await source.masterKey()).equals(Buffer.from(a))).toBe(true);
    chmodSync(path, 0o644);
    const e = await expectCodeAsync(() => source.masterKey(), 'identity.key_file_permissions');
    for (const t of spellings(a)) expect(e.message).not.toContain(t);
    chmodSync(path, 0o660);
    await expectCodeAsync(() => source.masterKey(), 'identity.key_file_permissions');
    chmodSync(path, 0o640); // a service group may read it
    expect(await source.masterKey()).toHaveLength(32);
    writeFileSync(path, new Uint8Array(31), { mode: 0o600 });
    await expectCodeAsync(() => source.masterKey(), 'identity.invalid_master_key');
    await expectCodeAsync(() => fileKeySource(join(tempDir(), 'absent.key'), { create: false }).masterKey(), 'identity.master_key_missing');
  });

  it('file: opens the identity; a replaced key file is a wrong master key', async () => {
    const dir = tempDir();
    const path = join(dir, 'master.key');
    const db = new Database(':memory:');
    const identity = await ManufacturerIdentity.open({ db, keySource: fileKeySource(path), domain: DOMAIN });
    const did = identity.did;
    await identity.close();
    const again = await ManufacturerIdentity.open({ db, keySource: fileKeySource(path), domain: DOMAIN });
    expect(again.did).toBe(did);
    await again.close();
    rmSync(path);
    await expectCodeAsync(() => ManufacturerIdentity.open({ db, keySource: fileKeySource(path), domain: DOMAIN }), 'identity.wrong_master_key');
    db.close();
  });

  it('env: base64url of 32 bytes; missing or malformed values are typed errors that do not quote the value', async () => {
    const key = crypto.randomBytes(32);
    const env: Record<string, string | undefined> = { SSIOT_MASTER_KEY: base64urlEncode(key) };
    const source = envKeySource({ env });
    expect(Buffer.from(await source.masterKey()).equals(Buffer.from(key))).toBe(true);
    await expectCodeAsync(() => envKeySource({ env: {} }).masterKey(), 'identity.master_key_missing');
    const short = base64urlEncode(key.subarray(0, 31));
    const e1 = await expectCodeAsync(() => envKeySource({ env: { SSIOT_MASTER_KEY: short } }).masterKey(), 'identity.invalid_master_key');
    expect(e1.message).not.toContain(short);
    const padded = base64Encode(key);
    const e2 = await expectCodeAsync(() => envKeySource({ env: { K: padded }, name: 'K' }).masterKey(), 'identity.invalid_master_key');
    expect(e2.message).not.toContain(padded);
  });
});
