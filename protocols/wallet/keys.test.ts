/**
 * Keys held in the wallet, used by handle: sign, key agreement, and JWE key
 * unwrap ("decrypt"), checked against the DIDComm v2 spec's appendix vectors
 * (Bob's secrets imported into a wallet open Alice's anoncrypt and
 * authcrypt messages).
 */
import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../../tests/support/assert.ts';
import { readVectorJson } from '../../tests/support/vectors.ts';
import { getCrypto } from '../crypto/index.ts';
import { base64urlDecode } from '../encoding/base64url.ts';
import { utf8Decode, utf8Encode } from '../encoding/bytes.ts';
import { privateKeyFromJwk, publicKeyFromJwk, type PublicKey } from '../did/keys.ts';
import { secretsKeyOperations, type JweUnwrapRequest, type KeyOperations } from './key-ops.ts';
import { MemoryStorage } from './memory.ts';
import { Wallet } from './wallet.ts';

const RAW = { rawKey: new Uint8Array(32).fill(6) };

interface Jwe {
  protected: string;
  recipients: { encrypted_key: string; header: { kid: string } }[];
  iv: string;
  ciphertext: string;
  tag: string;
}

/** Bob's secrets from the appendix (note its `"kid "` key with a trailing space). */
function bobSecrets(): { id: string; jwk: Record<string, unknown> }[] {
  const list = readVectorJson<Record<string, unknown>[]>('didcomm/bob-secrets.json');
  return list.map((s) => ({ id: (s.kid ?? s['kid ']) as string, jwk: s }));
}

function aliceKey(id: string): PublicKey {
  const doc = readVectorJson<{ keyAgreement: { id: string; publicKeyJwk: Record<string, unknown> }[] }>('didcomm/alice-did-doc.json');
  const vm = doc.keyAgreement.find((v) => v.id === id);
  if (!vm) throw new Error(`no ${id} in alice-did-doc.json`);
  return publicKeyFromJwk(vm.publicKeyJwk);
}

/** Opens a JWE as one recipient through KeyOperations: unwrap the CEK, then decrypt the content. */
async function openJwe(ops: KeyOperations, jwe: Jwe, recipient: number): Promise<string> {
  const header = JSON.parse(utf8Decode(base64urlDecode(jwe.protected))) as Record<string, unknown>;
  const r = jwe.recipients[recipient];
  const req: JweUnwrapRequest = {
    alg: header.alg as JweUnwrapRequest['alg'],
    epk: publicKeyFromJwk(header.epk as Record<string, unknown>),
    apu: typeof header.apu === 'string' ? base64urlDecode(header.apu) : undefined,
    apv: typeof header.apv === 'string' ? base64urlDecode(header.apv) : undefined,
    encryptedKey: base64urlDecode(r.encrypted_key),
    senderPublicKey: typeof header.skid === 'string' ? aliceKey(header.skid) : undefined,
    tag: base64urlDecode(jwe.tag),
  };
  const cek = await ops.unwrapKey(r.header.kid, req);
  const aead = getCrypto().aead[header.enc as 'XC20P' | 'A256CBC-HS512'];
  const plain = aead.decrypt(cek, base64urlDecode(jwe.iv), base64urlDecode(jwe.ciphertext), base64urlDecode(jwe.tag), utf8Encode(jwe.protected));
  return utf8Decode(plain);
}

async function walletWithBob(): Promise<Wallet> {
  const w = await Wallet.create(new MemoryStorage(), RAW);
  for (const s of bobSecrets()) {
    const { privateKey } = privateKeyFromJwk(s.jwk);
    if (privateKey.kind === 'X25519' || privateKey.kind === 'P-256') await w.keys.import(s.id, privateKey);
  }
  return w;
}

describe('wallet keys', () => {
  it('unwraps DIDComm anoncrypt (ECDH-ES+A256KW, X25519, XC20P) for each recipient', async () => {
    const w = await walletWithBob();
    const jwe = readVectorJson<Jwe>('didcomm/encrypted-anoncrypt-ecdh-es-x25519-xc20p.json');
    for (let i = 0; i < jwe.recipients.length; i++) {
      const msg = JSON.parse(await openJwe(w.keys, jwe, i)) as { id: string };
      expect(msg.id).toBe('1234567890');
    }
  });

  it('unwraps DIDComm authcrypt (ECDH-1PU+A256KW, X25519 and P-256, A256CBC-HS512)', async () => {
    const w = await walletWithBob();
    const x = readVectorJson<Jwe>('didcomm/encrypted-authcrypt-ecdh-1pu-x25519-a256cbc-hs512.json');
    expect((JSON.parse(await openJwe(w.keys, x, 0)) as { id: string }).id).toBe('1234567890');
    const p = readVectorJson<Jwe>('didcomm/encrypted-signed-authcrypt-ecdh-1pu-p256-a256cbc-hs512.json');
    const inner = await openJwe(w.keys, p, 0);
    expect(inner.length).toBeGreaterThan(100); // a signed JWS inside
  });

  it('gives the same answers through secretsKeyOperations (the CLI secrets-file path)', async () => {
    const ops = secretsKeyOperations(bobSecrets().map((s) => ({ id: s.id, ...privateKeyFromJwk(s.jwk) })));
    const jwe = readVectorJson<Jwe>('didcomm/encrypted-anoncrypt-ecdh-es-x25519-xc20p.json');
    expect((JSON.parse(await openJwe(ops, jwe, 1)) as { id: string }).id).toBe('1234567890');
    expect(await ops.findKeys(['did:example:bob#key-x25519-2', 'did:example:bob#nope'])).toEqual(['did:example:bob#key-x25519-2']);
  });

  it('fails unwrap with a typed error when the key or the message is wrong', async () => {
    const w = await walletWithBob();
    const jwe = readVectorJson<Jwe>('didcomm/encrypted-anoncrypt-ecdh-es-x25519-xc20p.json');
    const wrong = { ...jwe, recipients: [{ ...jwe.recipients[0], header: { kid: 'did:example:bob#key-x25519-2' } }] };
    await expectCodeAsync(() => openJwe(w.keys, wrong, 0), 'wallet.unwrap_failed');
    const missing = { ...jwe, recipients: [{ ...jwe.recipients[0], header: { kid: 'did:example:bob#gone' } }] };
    await expectCodeAsync(() => openJwe(w.keys, missing, 0), 'wallet.key_not_found');
    await expectCodeAsync(
      () => w.keys.unwrapKey('did:example:bob#key-x25519-1', { alg: 'A256KW' } as unknown as JweUnwrapRequest),
      'wallet.invalid_unwrap_request',
    );
  });

  it('creates keys inside, signs and agrees by handle, and resolves aliases', async () => {
    const w = await Wallet.create(new MemoryStorage(), RAW);
    const ed = await w.keys.create('Ed25519');
    expect(ed.kid.startsWith('z6Mk')).toBe(true); // the handle is the public Multikey
    const msg = utf8Encode('hello');
    expect(getCrypto().ed25519Verify(await w.keys.sign(ed.kid, msg), msg, ed.publicKey.bytes)).toBe(true);

    const x = await w.keys.create('X25519', { kid: 'agreement' });
    await w.keys.addAlias('agreement', 'did:peer:2.Ez6L...#key-2');
    const peerSk = getCrypto().randomBytes(32);
    const peer = { kind: 'X25519' as const, bytes: getCrypto().x25519PublicKey(peerSk) };
    const z = await w.keys.deriveSharedSecret('did:peer:2.Ez6L...#key-2', peer);
    expect(z).toEqual(getCrypto().x25519SharedSecret(peerSk, x.publicKey.bytes));
    expect((await w.keys.getKey('did:peer:2.Ez6L...#key-2'))?.kid).toBe('agreement');
    expect(await w.keys.findKeys(['agreement', 'did:peer:2.Ez6L...#key-2', 'other'])).toEqual(['agreement', 'did:peer:2.Ez6L...#key-2']);
    expect((await w.keys.list({ '~kind': 'X25519' })).map((k) => k.kid)).toEqual(['agreement']);

    await expectCodeAsync(() => w.keys.sign('agreement', msg), 'wallet.key_usage');
    await expectCodeAsync(() => w.keys.deriveSharedSecret(ed.kid, peer), 'wallet.key_usage');
    await expectCodeAsync(() => w.keys.deriveSharedSecret('agreement', ed.publicKey), 'wallet.key_mismatch');
    await expectCodeAsync(() => w.keys.sign('nope', msg), 'wallet.key_not_found');
    await expectCodeAsync(() => w.keys.create('agreement' as never), 'wallet.unsupported_key_type');
    await expectCodeAsync(() => w.keys.create('X25519', { kid: 'agreement' }), 'wallet.duplicate');
    await expectCodeAsync(() => w.keys.addAlias('agreement', ed.kid), 'wallet.duplicate');

    expect(await w.keys.delete('agreement')).toBe(true);
    expect(await w.keys.getKey('did:peer:2.Ez6L...#key-2')).toBeUndefined();
    expect(await w.keys.delete('agreement')).toBe(false);
  });

  it('never returns private key bytes through getKey or list', async () => {
    const w = await Wallet.create(new MemoryStorage(), RAW);
    const k = await w.keys.create('Ed25519', { tags: { role: 'device' } });
    const info = await w.keys.getKey(k.kid);
    expect(Object.keys(info ?? {}).sort()).toEqual(['kid', 'kind', 'publicKey', 'tags']);
    expect(info?.tags).toEqual({ role: 'device' });
    expect(JSON.stringify(await w.keys.list())).not.toContain('"d"');
  });
});
