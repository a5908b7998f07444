/**
 * Interoperability with an independent implementation: didcomm-node 0.4.1
 * (the WASM build of sicpa-dlab/didcomm-rust), both directions, every mode
 * both support: anoncrypt (A256CBC-HS512, A256GCM, XC20P), authcrypt,
 * anoncrypt(authcrypt), signed (EdDSA, ES256, ES256K) alone and inside
 * encryption, on X25519 and P-256 (didcomm-rust's curves), and routing 2.0
 * forwards through a mediator. Node-only (WASM).
 */
import { describe, expect, it } from 'vitest';
import { packEncrypted, packPlaintext, packSigned, type PackEncryptedOptions } from '../protocols/didcomm/pack.ts';
import { parseForward } from '../protocols/didcomm/forward.ts';
import { unpack, type UnpackMetadata } from '../protocols/didcomm/unpack.ts';
import { lunch, makeParty, resolverOf, type Party } from './support/didcomm.ts';
import { didcommNode, theirResolver, theirSecrets } from './support/didcomm-node.ts';

const { Message } = didcommNode;

const alice = makeParty('alice', { agreement: ['X25519', 'P-256'], signing: ['Ed25519', 'P-256', 'secp256k1'] });
const mediator = makeParty('mediator', { agreement: ['X25519'] });
const bob = makeParty('bob', {
  agreement: ['X25519', 'X25519', 'P-256', 'P-256'],
  service: { uri: 'https://mediator.example/inbox', routingKeys: [`${mediator.did}#ka-x25519-1`] },
});
const resolver = resolverOf(alice, mediator, bob);

const theirSecretsOf = (p: Party) => theirSecrets(p.secrets);
const theirs = theirResolver(resolver);
type TheirMetadata = Record<string, unknown>;

/** The metadata fields both implementations define the same way. */
function common(md: UnpackMetadata | TheirMetadata) {
  const m = md as Record<string, unknown>;
  return {
    encrypted: m.encrypted,
    authenticated: m.authenticated,
    non_repudiation: m.non_repudiation,
    anonymous_sender: m.anonymous_sender,
    encrypted_from_kid: m.encrypted_from_kid ?? null,
    encrypted_to_kids: m.encrypted_to_kids ?? null,
    sign_from: m.sign_from ?? null,
  };
}

const ANON = { 'A256CBC-HS512': 'A256cbcHs512EcdhEsA256kw', A256GCM: 'A256gcmEcdhEsA256kw', XC20P: 'Xc20pEcdhEsA256kw' } as const;
const BOB_X = [`${bob.did}#ka-x25519-1`, `${bob.did}#ka-x25519-2`];

interface Case {
  name: string;
  to: string;
  from?: string;
  signBy?: string;
  enc?: keyof typeof ANON;
  protectSender?: boolean;
}

const CASES: Case[] = [
  ...(Object.keys(ANON) as (keyof typeof ANON)[]).map((enc): Case => ({ name: `anoncrypt ${enc}`, to: bob.did, enc })),
  { name: 'authcrypt X25519', to: bob.did, from: alice.did },
  { name: 'authcrypt P-256 (to one key)', to: `${bob.did}#ka-p-256-2`, from: alice.did },
  { name: 'anoncrypt(authcrypt)', to: bob.did, from: alice.did, protectSender: true, enc: 'XC20P' },
  { name: 'authcrypt(signed EdDSA)', to: bob.did, from: alice.did, signBy: `${alice.did}#sign-ed25519-1` },
  { name: 'anoncrypt(signed ES256)', to: bob.did, signBy: `${alice.did}#sign-p-256-1`, enc: 'A256GCM' },
  { name: 'anoncrypt(signed ES256K) P-256', to: `${bob.did}#ka-p-256-1`, signBy: `${alice.did}#sign-secp256k1-1` },
];

describe('didcomm-node packs, ssiot unpacks', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const m = lunch(alice.did, [bob.did]);
      const [packed, meta] = await new Message({ ...m, typ: 'application/didcomm-plain+json' }).pack_encrypted(
        c.to,
        c.from ?? null,
        c.signBy ?? null,
        theirs,
        theirSecretsOf(alice),
        { forward: false, protect_sender: c.protectSender ?? false, enc_alg_anon: ANON[c.enc ?? 'XC20P'] },
      );
      const { message, metadata } = await unpack(packed, { resolver, secrets: bob.resolver });
      expect(message.id).toBe(m.id);
      expect(message.body).toEqual(m.body);
      expect(message.from).toBe(alice.did);
      // didcomm-node reports absent values as null.
      expect(metadata.encrypted_to_kids).toEqual(meta.to_kids);
      expect(metadata.encrypted_from_kid ?? null).toBe(meta.from_kid ?? null);
      expect(metadata.sign_from ?? null).toBe(meta.sign_by_kid ?? null);
      if (c.enc !== undefined && (c.from === undefined || c.protectSender)) expect(metadata.enc_alg_anon).toBe(c.enc);
      if (c.to === bob.did) expect(metadata.encrypted_to_kids).toEqual(BOB_X);
    });
  }

  it('signed only (pack_signed) and plaintext (pack_plaintext)', async () => {
    const m = lunch(alice.did, [bob.did]);
    for (const kid of ['sign-ed25519-1', 'sign-p-256-1', 'sign-secp256k1-1']) {
      const [signed] = await new Message({ ...m, typ: 'application/didcomm-plain+json' }).pack_signed(`${alice.did}#${kid}`, theirs, theirSecretsOf(alice));
      const { metadata } = await unpack(signed, { resolver, secrets: bob.resolver });
      expect(metadata.sign_from).toBe(`${alice.did}#${kid}`);
      expect(metadata.signed_message).toBe(signed);
    }
    const plain = await new Message({ ...m, typ: 'application/didcomm-plain+json' }).pack_plaintext(theirs);
    expect((await unpack(plain, { resolver, secrets: bob.resolver })).message.id).toBe(m.id);
  });

  it('forward: didcomm-node wraps for the mediator, ssiot mediates and delivers', async () => {
    const m = lunch(alice.did, [bob.did]);
    const [packed, meta] = await new Message({ ...m, typ: 'application/didcomm-plain+json' }).pack_encrypted(bob.did, alice.did, null, theirs, theirSecretsOf(alice), {
      forward: true,
    });
    expect(meta.messaging_service?.service_endpoint).toBe('https://mediator.example/inbox');
    const atMediator = await unpack(packed, { resolver, secrets: mediator.resolver });
    const fwd = parseForward(atMediator.message)!;
    expect(fwd.next).toBe(bob.did);
    expect((await unpack(fwd.forwarded, { resolver, secrets: bob.resolver })).message.id).toBe(m.id);
  });
});

describe('ssiot packs, didcomm-node unpacks', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const m = lunch(alice.did, [bob.did]);
      const o: PackEncryptedOptions = { to: c.to, resolver, secrets: alice.resolver };
      if (c.from) o.from = c.from;
      if (c.signBy) o.signBy = c.signBy;
      if (c.enc) o.enc = c.enc;
      if (c.protectSender) o.protectSender = true;
      const r = await packEncrypted(m, o);
      const [msg, md] = await Message.unpack(r.packed, theirs, theirSecretsOf(bob), {});
      const value = msg.as_value();
      expect(value.id).toBe(m.id);
      expect(value.body).toEqual(m.body);
      // Same verdict on what protected the message as our own unpack.
      const ours = await unpack(r.packed, { resolver, secrets: bob.resolver });
      expect(common(md as unknown as TheirMetadata)).toEqual(common(ours.metadata));
      expect(md.encrypted_to_kids).toEqual(r.toKids);
      if (c.from) expect(md.encrypted_from_kid).toBe(r.fromKid);
      if (c.enc && (!c.from || c.protectSender)) expect(md.enc_alg_anon).toBe(ANON[c.enc]);
    });
  }

  it('signed only, each algorithm; and plaintext', async () => {
    for (const kid of ['sign-ed25519-1', 'sign-p-256-1', 'sign-secp256k1-1']) {
      const m = lunch(alice.did, [bob.did]);
      const { packed } = await packSigned(m, { signBy: `${alice.did}#${kid}`, resolver, secrets: alice.resolver });
      const [msg, md] = await Message.unpack(packed, theirs, theirSecretsOf(bob), {});
      expect(msg.as_value().id).toBe(m.id);
      expect(md.sign_from).toBe(`${alice.did}#${kid}`);
      expect(md.non_repudiation).toBe(true);
    }
    const m = lunch(alice.did, [bob.did]);
    const [msg] = await Message.unpack(packPlaintext(m), theirs, theirSecretsOf(bob), {});
    expect(msg.as_value().body).toEqual(m.body);
  });

  it('forward: ssiot wraps for the mediator, didcomm-node mediates, and re-wrapped delivery both ways', async () => {
    const m = lunch(alice.did, [bob.did]);
    const r = await packEncrypted(m, { to: bob.did, from: alice.did, forward: true, resolver, secrets: alice.resolver });
    const [fwdMsg] = await Message.unpack(r.packed, theirs, theirSecretsOf(mediator), {});
    // Returns a plain object in 0.4.1 (index.d.ts declares a wrapper with as_value()).
    const parsed = fwdMsg.try_parse_forward() as unknown as { next: string; forwarded_msg: unknown };
    expect(parsed.next).toBe(bob.did);
    const [inner] = await Message.unpack(JSON.stringify(parsed.forwarded_msg), theirs, theirSecretsOf(bob), {});
    expect(inner.as_value().id).toBe(m.id);
    // The mediator re-wraps for Bob with didcomm-node; ssiot unwraps the re-wrapping forward.
    const rewrapped = await Message.wrap_in_forward(JSON.stringify(parsed.forwarded_msg), {}, bob.did, [bob.did], 'A256cbcHs512EcdhEsA256kw', theirs);
    const got = await unpack(rewrapped, { resolver, secrets: bob.resolver, unwrapReWrappingForward: true });
    expect(got.message.id).toBe(m.id);
    expect(got.metadata.re_wrapped_in_forward).toBe(true);
  });
});
