import { describe, expect, it } from 'vitest';
import { generateDidPeer2 } from '../../did/peer2.ts';
import { parseSecret } from '../../did/keys.ts';
import { createDefaultResolver } from '../../did/resolver.ts';
import { packEncrypted } from '../pack.ts';
import { createSecretsResolver } from '../secrets.ts';
import { envelopeParties } from './envelope-parties.ts';

describe('envelopeParties', () => {
  it('reads the authcrypt sender and the recipients (DIDs, once each) from the cleartext headers', async () => {
    const alice = generateDidPeer2();
    const bob = generateDidPeer2();
    const secrets = createSecretsResolver(alice.secrets.map((s) => parseSecret(s)));
    const msg = { id: '1', type: 'https://didcomm.org/trust-ping/2.0/ping', from: alice.did, to: [bob.did], body: {} };
    const out = await packEncrypted(msg, { to: bob.did, from: alice.did, resolver: createDefaultResolver(), secrets });
    expect(envelopeParties(out.packed)).toEqual({ sender: alice.did, recipients: [bob.did] });
    const anon = await packEncrypted({ ...msg, from: undefined }, { to: bob.did, resolver: createDefaultResolver(), secrets: createSecretsResolver([]) });
    expect(envelopeParties(anon.packed)).toEqual({ recipients: [bob.did] });
  });

  it('never throws: junk has no parties', () => {
    expect(envelopeParties('not json')).toEqual({ recipients: [] });
    expect(envelopeParties('{"recipients":[{"header":{"kid":7}}]}')).toEqual({ recipients: [] });
    expect(envelopeParties('{"recipients":"x","protected":"!!"}')).toEqual({ recipients: [] });
  });
});
