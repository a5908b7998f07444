import { describe, expect, it } from 'vitest';
import { expectCodeAsync } from '../tests/support/assert.ts';
import { engine } from '../tests/support/vectors.ts';
import { decodeOobUrlInvitation } from './testing/label-tools.ts';
import { MemoryNetwork } from './testing/memory-host.ts';
import { manufacturedDevice, testManufacturer, testOwner, verifierFor } from './testing/fixtures.ts';
import { MAX_PAIRING_ATTEMPTS } from './state.ts';
import { RECORD } from './manufacture.ts';
import { putRecord } from './store.ts';
import { PAIRING_PROBLEM } from '../protocols/messages/pairing.ts';
import { verifyImprintChain } from '../protocols/vc/device-credentials.ts';
import { DEVICE_PROBLEMS } from './pairing.ts';
import { generateDidPeer2 } from '../protocols/did/peer2.ts';
import { generateOwnerDid, type OwnerError } from '../owner/agent.ts';
import type { DidResolver } from '../protocols/did/types.ts';
import { parseSecret } from '../protocols/did/keys.ts';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import { packEncrypted } from '../protocols/didcomm/pack.ts';
import { createSecretsResolver } from '../protocols/didcomm/secrets.ts';
import { unpack } from '../protocols/didcomm/unpack.ts';
import { base64urlDecode } from '../protocols/encoding/base64url.ts';
import { buildPairRequest, PAIR_RESPONSE_TYPE } from '../protocols/messages/pairing.ts';
import { buildRequestCredential, IMPRINT_GOAL_CODE, ISSUE_CREDENTIAL_TYPE } from '../protocols/messages/issue-credential.ts';
import { PROBLEM_REPORT_TYPE } from '../protocols/messages/report-problem.ts';

/** A DIDComm party of its own (a phone without OwnerAgent's checks) talking to `dev` in process. */
async function rawParty(dev: { agent: { receive(p: string): Promise<string | undefined>; peerResolver: DidResolver } }) {
  const me = generateOwnerDid();
  const secrets = createSecretsResolver(me.secrets.map((s) => parseSecret(s)));
  return {
    did: me.did,
    async exchange(msg: PlaintextMessage): Promise<PlaintextMessage> {
      const out = await packEncrypted(msg, { to: (msg.to as string[])[0], from: me.did, resolver: dev.agent.peerResolver, secrets });
      const reply = await dev.agent.receive(out.packed);
      if (reply === undefined) throw new Error('no reply');
      return (await unpack(reply, { resolver: dev.agent.peerResolver, secrets })).message;
    },
  };
}

/** A device in its pairing window and a phone (rawParty) whose pair-request from the label it answered. */
async function attestedPhone() {
  const dev = await manufacturedDevice(new MemoryNetwork(), await testManufacturer());
  const label = decodeOobUrlInvitation(dev.label.url);
  const pairingDid = String(label.invitation.from);
  const secret = base64urlDecode((label.invitation.attachments ?? []).map((a) => a.data.json as Record<string, string>).find((j) => j.secret)?.secret as string);
  const phone = await rawParty(dev);
  const request = buildPairRequest({ from: phone.did, to: [pairingDid], invitationId: label.invitation.id, deviceDid: pairingDid, secret, createdTime: Math.floor(dev.host.now() / 1000) });
  return { dev, pairingDid, phone, request, attested: await phone.exchange(request) };
}

async function refusal(p: Promise<unknown>): Promise<{ code?: string; problem?: string }> {
  try {
    await p;
  } catch (e) {
    return e as OwnerError;
  }
  throw new Error('expected a refusal');
}

describe('pairing attacks', () => {
  it('a wrong pairing secret is counted and the count survives a reboot', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(network, mfr);
    const wrong = decodeOobUrlInvitation(dev.label.url).withSecret(new Uint8Array(32).fill(9));
    const owner = testOwner(network, mfr, () => dev.host.now());
    const r = await refusal(owner.pair(wrong));
    expect(r.code).toBe('owner.pairing_refused');
    expect(r.problem).toBe(PAIRING_PROBLEM.badProof);
    expect(dev.agent.state.window?.attempts).toBe(1);
    expect(dev.agent.state.lifecycle).toBe('unowned');
    await dev.reboot(); // the counter survives; a reboot does not reopen or reset the window
    expect(dev.agent.state.window?.attempts).toBe(1);
    await refusal(owner.pair(wrong));
    expect(dev.agent.state.window?.attempts).toBe(2);
    // the right secret still pairs inside the window
    const paired = await owner.pair(dev.label.url);
    expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);
  });

  // 20 full exchanges: about a minute of XS time, so Node only (the limit itself is checked in state.test.ts in XS)
  it.skipIf(engine() === 'xs')(`at most ${MAX_PAIRING_ATTEMPTS} failed attempts per window, across reboots`, async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(network, mfr);
    const wrong = decodeOobUrlInvitation(dev.label.url).withSecret(new Uint8Array(32).fill(9));
    const owner = testOwner(network, mfr, () => dev.host.now());
    for (let i = 1; i <= MAX_PAIRING_ATTEMPTS; i++) {
      const x = await refusal(owner.pair(wrong));
      expect(x.problem).toBe(i < MAX_PAIRING_ATTEMPTS ? PAIRING_PROBLEM.badProof : PAIRING_PROBLEM.tooManyAttempts);
      if (i === 10) await dev.reboot();
    }
    expect(dev.agent.state.window).toBeNull();
    // the window is closed: even the right secret is refused now, and nothing more is counted
    const after = await refusal(owner.pair(dev.label.url));
    expect(after.problem).toBe(PAIRING_PROBLEM.windowClosed);
    await dev.reboot();
    expect(dev.agent.state.window).toBeNull();
    // a physical act (the pairing button) opens a new window
    await dev.agent.openPairingWindow();
    expect(dev.agent.state.window?.attempts).toBe(0);
    const paired = await owner.pair(dev.label.url);
    expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);
  });

  it('replayed pairing messages are refused', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(network, mfr);
    const owner = testOwner(network, mfr, () => dev.host.now());
    await owner.pair(dev.label.url);
    const sent = network.delivered.filter((d) => d.endpoint === dev.host.transport.endpoint);
    expect(sent).toHaveLength(2); // pair-request, request-credential
    // same boot: the replay guard
    for (const d of sent) {
      expect(await dev.agent.receive(d.packed)).toBeUndefined();
      expect(dev.agent.lastRefusal?.code).toBe('didcomm.replayed');
    }
    // after a reboot (guard empty): the device is owned, the one-time secret is spent
    await dev.reboot();
    const reply = await dev.agent.receive(sent[0].packed);
    expect(reply).toBeDefined();
    expect(dev.agent.lastRefusal?.code).toBe(PAIRING_PROBLEM.windowClosed);
    expect(dev.agent.state.window).toBeNull();
  });

  it('an owned device refuses pairing unless its owner opened a transfer window', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(network, mfr);
    const alice = testOwner(network, mfr, () => dev.host.now());
    const first = await alice.pair(dev.label.url);
    const bob = testOwner(network, mfr, () => dev.host.now());
    const r = await refusal(bob.pair(dev.label.url));
    expect(r.problem).toBe(PAIRING_PROBLEM.windowClosed);
    expect(dev.agent.state.owner?.did).toBe(first.ownerDid);
    // only the owner opens a transfer window: eve, who learnt the device's pairwise DID, is refused
    const eve = generateDidPeer2();
    const notOwner = await refusal(bob.openTransfer({ ...first, ownerDid: eve.did, ownerSecrets: eve.secrets }, 600));
    expect(notOwner.problem).toBe(DEVICE_PROBLEMS.notOwner);
    expect(dev.agent.state.window).toBeNull();
    // alice opens a transfer window over the pairwise channel: a fresh one-time invitation
    const transferUrl = await alice.openTransfer(first, 600);
    expect(dev.agent.state.window?.kind).toBe('transfer');
    // the label (which alice knows too) does not open an owned device
    const viaLabel = await refusal(bob.pair(dev.label.url));
    expect(viaLabel.problem).toBe(PAIRING_PROBLEM.unknownInvitation);
    const second = await bob.pair(transferUrl);
    expect(dev.agent.state.owner?.did).toBe(second.ownerDid);
    expect(dev.agent.state.window).toBeNull();
    // alice's imprint is revoked, her relationship closed
    const verifier = verifierFor(mfr, dev);
    await expectCodeAsync(() => verifyImprintChain(first.imprint, first.certificate, verifier), 'vc.imprint_revoked');
    expect((await verifyImprintChain(second.imprint, second.certificate, verifier)).owner).toBe(second.ownerDid);
    const closed = await refusal(alice.openTransfer(first, 600));
    expect(closed.code).toBe('owner.no_reply'); // the device no longer holds that pairwise DID's keys
    // the transfer invitation was one-time
    const reuse = await refusal(testOwner(network, mfr, () => dev.host.now()).pair(transferUrl));
    expect(reuse.problem).toBe(PAIRING_PROBLEM.windowClosed);
  });

  it('the pairing window times out', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(network, mfr);
    dev.host.advance(11 * 60 * 1000);
    const r = await refusal(testOwner(network, mfr, () => dev.host.now()).pair(dev.label.url));
    expect(r.problem).toBe(PAIRING_PROBLEM.windowClosed);
    expect(dev.agent.state.window).toBeNull();
    expect(dev.agent.state.lifecycle).toBe('unowned');
  });

  it('man in the middle: a certificate for another device than the label commits to is refused', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const genuine = await manufacturedDevice(network, mfr, 'SN-0001');
    const other = await manufacturedDevice(network, mfr, 'SN-0002');
    // the label of `other` (a genuine, certified device) carrying the commitment of `genuine`
    const genuineLabel = decodeOobUrlInvitation(genuine.label.url);
    const forged = decodeOobUrlInvitation(other.label.url).withCommitment(genuineLabel.commitment);
    const owner = testOwner(network, mfr, () => other.host.now());
    const r = await refusal(owner.pair(forged));
    expect(r.code).toBe('owner.commitment_mismatch');
    // the phone keeps nothing and never confirms: the device that answered stays unowned with its
    // window open (nothing was written), the genuine device is untouched, and the rightful owner
    // of `other` still pairs with its real label.
    expect(owner.devices).toHaveLength(0);
    expect(genuine.agent.state.lifecycle).toBe('unowned');
    expect(other.agent.state.lifecycle).toBe('unowned');
    expect(other.agent.state.window?.kind).toBe('pairing');
    const rightful = await testOwner(network, mfr, () => other.host.now()).pair(other.label.url);
    expect(other.agent.state.owner?.did).toBe(rightful.ownerDid);
  });

  it('only the attested phone confirms, on its pairing thread', async () => {
    const { dev, pairingDid, phone, request, attested } = await attestedPhone();
    expect(attested.type).toBe(PAIR_RESPONSE_TYPE);
    expect(dev.agent.state.lifecycle).toBe('unowned'); // attested, nothing recorded yet
    const confirm = (from: string, pthid?: string) => buildRequestCredential({ from, to: [pairingDid], pthid, goalCode: IMPRINT_GOAL_CODE });
    // another authenticated phone cannot confirm someone else's attestation, even knowing the thread
    const stranger = await rawParty(dev);
    expect((await stranger.exchange(confirm(stranger.did, request.id))).type).toBe(PROBLEM_REPORT_TYPE);
    // the attested phone off its pairing thread: no commit
    expect((await phone.exchange(confirm(phone.did, 'another-thread'))).type).toBe(PROBLEM_REPORT_TYPE);
    expect(dev.agent.state.lifecycle).toBe('unowned');
    // on its thread: committed, the imprint comes from the new pairwise DID
    const issued = await phone.exchange(confirm(phone.did, request.id));
    expect(issued.type).toBe(ISSUE_CREDENTIAL_TYPE);
    expect(dev.agent.state.owner?.did).toBe(phone.did);
    expect(issued.from).toBe(dev.agent.state.owner?.deviceDid);
    expect(dev.agent.state.window).toBeNull();
  });

  it('a pending attestation is gone after a reboot: the phone must start over', async () => {
    const { dev, pairingDid, phone, request, attested } = await attestedPhone();
    expect(attested.type).toBe(PAIR_RESPONSE_TYPE);
    await dev.reboot();
    const late = await phone.exchange(buildRequestCredential({ from: phone.did, to: [pairingDid], pthid: request.id, goalCode: IMPRINT_GOAL_CODE }));
    expect(late.type).toBe(PROBLEM_REPORT_TYPE);
    expect(dev.agent.state.lifecycle).toBe('unowned');
    expect(dev.agent.state.window?.kind).toBe('pairing');
  });

  it("a clone presenting another device's certificate cannot sign as its key", async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const genuine = await manufacturedDevice(network, mfr, 'SN-0001');
    const clone = await manufacturedDevice(network, mfr, 'SN-0002');
    // the clone copies the genuine certificate (public) and prints the genuine commitment on its label
    await putRecord(clone.agent.wallet, RECORD, 'certificate', await genuine.agent.certificate());
    await clone.reboot();
    const forged = decodeOobUrlInvitation(clone.label.url).withCommitment(decodeOobUrlInvitation(genuine.label.url).commitment);
    const owner = testOwner(network, mfr, () => clone.host.now());
    const r = await refusal(owner.pair(forged));
    expect(r.code).toBe('owner.bad_device_signature');
    expect(owner.devices).toHaveLength(0);
  });

  it('a device certified by an untrusted manufacturer is refused', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer(1);
    const rogue = await testManufacturer(2);
    const dev = await manufacturedDevice(network, rogue);
    const owner = testOwner(network, mfr, () => dev.host.now());
    const r = await refusal(owner.pair(dev.label.url));
    expect(r.code).toBe('owner.untrusted_manufacturer');
    expect(owner.devices).toHaveLength(0);
  });

  it('plaintext or anoncrypted messages are dropped', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    const dev = await manufacturedDevice(network, mfr);
    const reply = await dev.agent.receive(JSON.stringify({ id: '1', type: 'https://ssiot.dev/protocols/pairing/1.0/pair-request', body: { nonce: 'x' } }));
    expect(reply).toBeUndefined();
    expect(dev.agent.lastRefusal?.code).toBe('device.not_authcrypt');
    expect(await dev.agent.receive('not json')).toBeUndefined();
    expect(dev.agent.lastRefusal).toBeDefined();
  });
});

describe('pairing under power cuts', () => {
  // five manufactures and pairings: Node only (XS covers the same store in state.test.ts and reset.test.ts)
  it.skipIf(engine() === 'xs')('a power cut at any write of a successful pairing leaves the device unowned or owned, never half-paired', async () => {
    const network = new MemoryNetwork();
    const mfr = await testManufacturer();
    let sawOwned = false;
    let sawUnowned = 0;
    for (let cut = 0; cut < 16 && !sawOwned; cut++) {
      const dev = await manufacturedDevice(network, mfr, `SN-CUT-${cut}`);
      const owner = testOwner(network, mfr, () => dev.host.now());
      dev.host.walletStore.cutAfter(cut);
      try {
        await owner.pair(dev.label.url);
      } catch {
        // the device died mid-way (the phone sees no answer)
      }
      const died = dev.host.walletStore.isDead;
      await dev.reboot();
      const s = dev.agent.state;
      if (!died || s.lifecycle === 'owned') {
        // every write of the pairing went through, or the cut came after the commit point
        // (only the audit line may be lost): owned, with the relationship the state names
        expect(s.lifecycle).toBe('owned');
        expect((await dev.agent.wallet.search('device:relationship')).map((i) => i.id)).toEqual([s.owner?.deviceDid]);
        sawOwned = true;
        continue;
      }
      sawUnowned++;
      expect(s.lifecycle).toBe('unowned');
      expect(s.owner).toBeNull();
      expect(s.window?.attempts).toBe(0);
      // what a half-done pairing wrote is gone, and the device pairs normally afterwards
      expect(await dev.agent.wallet.search('device:relationship')).toHaveLength(0);
      const paired = await testOwner(network, mfr, () => dev.host.now()).pair(dev.label.url);
      expect(dev.agent.state.owner?.did).toBe(paired.ownerDid);
    }
    expect(sawOwned).toBe(true);
    expect(sawUnowned).toBeGreaterThan(3); // cuts at the relationship, imprint and status-list writes
  });
});
