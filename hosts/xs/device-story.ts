/**
 * The device story with the device agent inside XS: hosts/xs/device-payload.ts
 * runs in an xsnap worker; Node plays the factory station, the owner's
 * phone (OwnerAgent) and the manufacturer's agent (ManufacturerAgent), and
 * each envelope for the device is one crank. The device's own sends (to the
 * manufacturer's agent: introduction, support, firmware status reports) come
 * to Node as `send` commands inside the crank and are answered there by the
 * manufacturer's agent, as the in-process network of device/testing does;
 * the support relay's pushes to the owner come as `push` commands and are
 * queued for the phone. Covers DESIGN.md §1 steps 1–7: manufacture, QR
 * pairing, imprint, owner policies and the audit log, a service
 * authorization with remote diagnostics and its revocation, the
 * introduction to the manufacturer and the proof of ownership, a support
 * thread, firmware updates under the never / ask / auto policies, reboot,
 * transfer-open and factory reset.
 *
 * Used by tests/device-xs.test.ts (spawned in a process of its own: xsnap
 * needs a locked-down realm, never a vitest worker) and by bench/device.ts
 * for the XS heap and meter figures. Run:
 * `npx tsx hosts/xs/device-story.ts [--update <bytes>]` (size of the image
 * installed under the auto policy, default 8192); prints one JSON line (StoryResult).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { T0, testManufacturer } from '../../device/testing/fixtures.ts';
import { makeImage, sha256Hex, testRelease } from '../../device/testing/firmware.ts';
import { testManufacturerLink } from '../../device/testing/service-tools.ts';
import type { MemoryNetwork } from '../../device/testing/memory-host.ts';
import { issueDeviceCertificate } from '../../manufacturer/factory-station.ts';
import { ManufacturerAgent } from '../../manufacturer/agent.ts';
import { OwnerAgent } from '../../owner/agent.ts';
import type { RelayedSupport } from '../../owner/conduit.ts';
import { createDefaultResolver } from '../../protocols/did/resolver.ts';
import type { PlaintextMessage } from '../../protocols/didcomm/message.ts';
import type { Policy } from '../../protocols/messages/policy.ts';
import { parseProblemReport, PROBLEM_REPORT_TYPE } from '../../protocols/messages/report-problem.ts';
import type { SupportContext } from '../../protocols/messages/support.ts';
import type { VerifiableCredential } from '../../protocols/vc/credential.ts';
import { verifyImprintChain } from '../../protocols/vc/device-credentials.ts';
import { withXsPayload, type XsBench, type XsReply } from '../../bench/support.ts';
import type { DeviceState } from '../../device/state.ts';
import type { LabelOutput } from '../../device/host.ts';
import type { SupportThread } from '../../device/support.ts';

/** XS meter figures of one crank: compute, heap bytes obtained so far (grows only), live heap slots. */
export interface CrankFigures {
  compute: number;
  allocate: number;
  heapCount: number;
}

/** The device's firmware side as the payload reports it. */
export interface FirmwareView {
  restartRequested: boolean;
  /** Reads of the memory image server so far (downloads started). */
  imageRequests: number;
  lastBoot: { status: string; sequence?: number } | null;
  installedSequence: number;
  running: { slot: string; trial: boolean; digest: string | null };
}

/** A device answer as the story keeps it: its type, or the problem code and comment of a problem report. */
export interface Answer {
  type: string | null;
  body?: Record<string, unknown>;
  problem?: string;
  comment?: string;
}

export interface StoryResult {
  deviceDid: string;
  pairingDid: string;
  ownerDid: string;
  lifecycleAfterPairing: string;
  imprintChainOwner: string;
  /** Step 3: owner policies (default, after one change, read back). */
  policy: { initial: Policy; afterSet: Policy; readBack: Policy };
  /** Step 3: a service authorization for the manufacturer's service DID, diagnostics with it, revocation by the owner. */
  serviceAuth: {
    subject: string;
    credentialId: string;
    credentialSubject: Record<string, unknown>;
    accepted: Answer;
    afterRevoke: Answer;
    /** The device's lastRefusal after the refused request. */
    deviceRefusal: string | null;
  };
  /** Step 4: the introduction to the manufacturer and the relationship it yields. */
  introduction: {
    status: string;
    theirDid?: string;
    myDid?: string;
    manufacturer?: Record<string, unknown>;
    makerDid: string;
    /** The manufacturer's record of it. */
    record?: { device: string; status: string; invitationId?: string };
    /** What the manufacturer keeps for the owner's new DID (the invitation id). */
    makerRelationship?: string;
  };
  /** Step 4: proof of ownership to the manufacturer: its ack and what it recorded. */
  ownership: { verified: boolean; checks: string[]; errors: string[]; owner?: string; device?: string; serial?: string };
  /** Step 6: a support thread through the device. */
  support: {
    supportThreadId: string;
    /** The manufacturer's side of the thread. */
    maker?: { device: string; subject: string; context?: SupportContext; messages: { from: string; text: string }[] };
    /** The manufacturer's answer as the owner received it from the device's push. */
    relayed: RelayedSupport | null;
    /** The device's record of the thread. */
    device: Pick<SupportThread, 'status' | 'shared' | 'undelivered'> & { messages: { from: string; text: string }[] } | null;
  };
  /** Step 5: firmware under the owner's policy. */
  firmware: {
    never: { announced: Answer; after: FirmwareView };
    ask: { announced: Answer; after: FirmwareView; approved: { sequence: number; status: string }; afterReboot: FirmwareView };
    auto: { announced: Answer; afterReboot: FirmwareView; expectedDigest: string };
    /** Signed status reports the manufacturer received (device DID of the signature, body). */
    reports: { signer: string; from: string; status: unknown; sequence: unknown; digest: unknown }[];
  };
  /** The owner's audit log events (step 3), read after the firmware updates. */
  audit: { event: string; detail?: string }[];
  ownerAfterReboot: string | null;
  transferWindow: string | null;
  lifecycleAfterReset: string;
  revokedAfterReset: string | null;
  /** After boot + gc, after manufacture + gc, after pairing + gc. */
  heap: { loaded: CrankFigures; booted: CrankFigures; manufactured: CrankFigures; paired: CrankFigures };
  /**
   * The device's cranks: pair-request, request-credential (the pairing), transfer-open (one
   * authcrypt message of an owned device), one policy change (set-policy), one diagnostics
   * request checked against a service authorization (verify the VC, answer under the policy).
   */
  cranks: { pairRequest: CrankFigures; requestCredential: CrankFigures; transferOpen: CrankFigures; setPolicy: CrankFigures; diagnostics: CrankFigures };
  /** Every device crank, in order, by step (each one metered). */
  allCranks: { step: string; compute: number }[];
  /**
   * The firmware update of `bytes` under the auto policy on the same worker: `before` = image
   * published on the memory image server + gc; `crank` = the announcement (verify, download,
   * install, restart request); `boot` = the restart (trial boot, self-test, confirm, signed report).
   */
  update: { bytes: number; before: CrankFigures; crank: CrankFigures; boot: CrankFigures; installed: boolean };
}

const figures = (r: XsReply<unknown>): CrankFigures => ({ compute: r.compute, allocate: r.meter.allocate ?? 0, heapCount: r.meter.currentHeapCount ?? 0 });

const DEVICE_ENDPOINT = 'xs://device';
const MAKER_ENDPOINT = 'node://manufacturer';

function answerOf(m: PlaintextMessage | undefined): Answer {
  if (!m) return { type: null };
  if (m.type === PROBLEM_REPORT_TYPE) {
    const p = parseProblemReport(m);
    return { type: m.type, problem: p.code, comment: p.comment };
  }
  return { type: m.type, body: m.body as Record<string, unknown> };
}

/** Runs the whole device story (DESIGN.md §1 steps 1–7) with the device in XS. */
export async function runDeviceStoryInXs(o: { updateBytes?: number } = {}): Promise<StoryResult> {
  const updateBytes = o.updateBytes ?? 8192;
  const mfr = await testManufacturer();
  const resolver = createDefaultResolver({ documents: [mfr.state.document] });
  const enc = new TextEncoder();
  let xsRef: XsBench | undefined;
  const worker = (): XsBench => {
    if (!xsRef) throw new Error('the XS worker is not running');
    return xsRef;
  };
  const cranks: { step: string; f: CrankFigures }[] = [];
  let step = 'boot';
  /** One inbound envelope for the device: one metered crank. */
  const deliver = async (packed: string): Promise<string | undefined> => {
    const r = await worker().call<{ reply: string | null }>({ op: 'receive', packed });
    cranks.push({ step, f: figures(r) });
    return r.value.reply ?? undefined;
  };
  const maker = new ManufacturerAgent({
    endpoint: MAKER_ENDPOINT,
    send: (endpoint, packed) => {
      if (endpoint !== DEVICE_ENDPOINT) throw new Error(`the manufacturer sends to an unknown endpoint ${endpoint}`);
      return deliver(packed);
    },
    resolver,
    manufacturerDid: mfr.did,
    now: () => T0,
    // the status list comes from the device (between cranks, never inside one)
    checkStatus: { fetchStatusList: async () => (await worker().call<{ credential: VerifiableCredential }>({ op: 'statusList' })).value.credential },
  });
  /** Envelopes the device pushed to its owner (support relay). */
  const pushed: string[] = [];
  const handleCommand = async (request: Uint8Array): Promise<Uint8Array> => {
    const cmd = JSON.parse(new TextDecoder().decode(request)) as { op: string; length?: number; endpoint?: string; packed?: string };
    if (cmd.op === 'random') return new Uint8Array(randomBytes(cmd.length ?? 0));
    // the device's own sends: the manufacturer's agent answers inside the crank (never calls back into XS)
    if (cmd.op === 'send') {
      // (nobody else listens here: the support relay reaches the owner through `push`)
      const reply = cmd.endpoint === MAKER_ENDPOINT ? await maker.receive(cmd.packed as string) : undefined;
      return enc.encode(JSON.stringify({ reply: reply ?? null }));
    }
    if (cmd.op === 'push') pushed.push(cmd.packed as string);
    return enc.encode('{}');
  };
  return withXsPayload('hosts/xs/device-payload.ts', { name: 'device-story', handleCommand }, async (xs) => {
    xsRef = xs;
    const loaded = figures(await xs.call({ op: 'gc' }));
    const boot = await xs.call<{ did: string; pairingDid: string; request: Parameters<typeof issueDeviceCertificate>[0] }>({ op: 'boot', slotCapacity: Math.max(1 << 16, updateBytes + 4096) });
    const booted = figures(await xs.call({ op: 'gc' }));
    // step 1: the factory station; the manufacturer's agent is the device's contact
    const certificate = await issueDeviceCertificate(boot.value.request, { signer: mfr.signer, log: mfr.log, now: new Date(T0) });
    const { label } = (await xs.call<{ label: LabelOutput }>({ op: 'install', certificate, log: mfr.log })).value;
    await xs.call({ op: 'contact', contact: { did: maker.did, publicDid: mfr.did, name: 'Grinders Inc.' } });
    const manufactured = figures(await xs.call({ op: 'gc' }));

    // step 2: QR pairing and the imprint
    const phone = new OwnerAgent({
      transport: {
        send: async (endpoint, packed) => {
          if (endpoint === DEVICE_ENDPOINT) return deliver(packed);
          if (endpoint === MAKER_ENDPOINT) return maker.receive(packed);
          throw new Error(`the phone sends to an unknown endpoint ${endpoint}`);
        },
      },
      resolver,
      trustedManufacturers: [mfr.did],
      now: () => T0,
    });
    step = 'pair';
    const paired = await phone.pair(label.url);
    const state = async () => (await xs.call<{ state: DeviceState; refusal: string | null }>({ op: 'state' })).value;
    const lifecycleAfterPairing = (await state()).state.lifecycle;
    const paired_ = figures(await xs.call({ op: 'gc' }));
    const verifier = {
      resolver,
      manufacturerDid: mfr.did,
      now: new Date(T0),
      checkStatus: { fetchStatusList: async () => (await xs.call<{ credential: VerifiableCredential }>({ op: 'statusList' })).value.credential },
    };
    const chain = await verifyImprintChain(paired.imprint, paired.certificate, verifier);
    const cranksOf = (s: string) => cranks.filter((c) => c.step === s).map((c) => c.f);

    // step 3: owner policies (diagnostics shared, firmware never for now)
    step = 'getPolicy';
    const initial = await phone.getPolicy(paired);
    step = 'setPolicy';
    const afterSet = await phone.setPolicy(paired, { share: { diagnostics: true }, firmware: 'never' });
    step = 'getPolicy';
    const readBack = await phone.getPolicy(paired);

    // step 3: service authorization for the manufacturer's service DID, remote diagnostics, revocation
    // (ManufacturerAgent sends no diagnostics requests: testManufacturerLink is the manufacturer's service party)
    const service = testManufacturerLink({ deliver: (_endpoint: string, packed: string) => deliver(packed) } as unknown as MemoryNetwork);
    step = 'grant';
    const grant = await phone.grantServiceAuthorization(paired, { manufacturer: service.did, scope: ['diagnostics', 'usage-counters'], validUntil: new Date(T0 + 3600_000).toISOString() });
    step = 'diagnostics';
    const accepted = answerOf(await service.requestDiagnostics(boot.value.pairingDid, ['diagnostics', 'usage-counters'], grant as never));
    step = 'revoke';
    await phone.revokeServiceAuthorization(paired, String(grant.id));
    step = 'diagnosticsRevoked';
    const afterRevoke = answerOf(await service.requestDiagnostics(boot.value.pairingDid, ['diagnostics'], grant as never));
    const deviceRefusal = (await state()).refusal;

    // step 4: the introduction (device proposes to both, both approve), then proof of ownership over the new relationship
    step = 'introduce';
    const outcome = await phone.conduit.introduceManufacturer(paired, (m) => m.role === 'ssiot.manufacturer');
    const introRecord = [...maker.introductions.values()][0];
    const rel = outcome.status === 'connected' ? outcome.relationship : undefined;
    const introduction: StoryResult['introduction'] = {
      status: outcome.status,
      theirDid: rel?.theirDid,
      myDid: rel?.myDid,
      manufacturer: rel && { ...rel.manufacturer },
      makerDid: maker.did,
      record: introRecord && { device: introRecord.device, status: introRecord.status, invitationId: introRecord.invitationId },
      makerRelationship: rel && maker.relationships.get(rel.myDid),
    };
    let ownership: StoryResult['ownership'] = { verified: false, checks: [], errors: ['no relationship'] };
    if (rel) {
      step = 'ownership';
      const ack = await phone.conduit.proveOwnership(paired, rel);
      const seen = maker.proofs[maker.proofs.length - 1];
      ownership = { ...ack, owner: seen?.owner, device: seen?.device, serial: seen?.serial };
    }

    // step 6: a support thread opened through the device, relayed both ways
    step = 'support';
    const handle = await phone.conduit.openSupport(paired, 'Grinder jams', 'It stops after two seconds.');
    await phone.conduit.sendSupport(paired, handle, 'Since the last update.');
    step = 'supportReply';
    await maker.reply(handle.supportThreadId, 'Please clean the burrs.');
    const relayed = pushed.length > 0 ? await phone.conduit.receive(paired, pushed[pushed.length - 1]) : null;
    const held = maker.supportThreads.get(handle.supportThreadId);
    const thread = (await xs.call<{ thread: SupportThread | null }>({ op: 'supportThread', id: handle.supportThreadId })).value.thread;

    // step 5: firmware announced by the manufacturer, installed as the owner's policy says
    const release = async (sequence: number, size: number) => {
      const r = await testRelease(mfr, { sequence, image: makeImage(size, sequence) });
      const published = await xs.call<{ digest: string }>({ op: 'publish', uri: r.uri, size, seed: sequence });
      if (published.value.digest !== sha256Hex(r.image)) throw new Error('the image built in XS differs from the released one');
      return r;
    };
    const announce = async (r: { envelope: string }) => answerOf(await maker.announceFirmware(boot.value.pairingDid, { envelope: r.envelope, log: mfr.log }));
    const reboot = async () => (await xs.call<{ firmware: FirmwareView }>({ op: 'reboot' })).value.firmware;
    const firmwareView = async () => (await xs.call<FirmwareView>({ op: 'firmware' })).value;
    // never: refused, nothing downloaded
    const r2 = await release(2, 4096);
    step = 'announce';
    const never = { announced: await announce(r2), after: await firmwareView() };
    // ask: the device waits for the owner's approval
    step = 'setPolicy';
    await phone.setPolicy(paired, { firmware: 'ask' });
    step = 'announce';
    const askAnnounced = await announce(r2);
    const askAfter = await firmwareView();
    step = 'approve';
    const approved = await phone.approveFirmware(paired, 2);
    const askAfterReboot = await reboot();
    // auto: the announcement installs at once (the measured update)
    step = 'setPolicy';
    await phone.setPolicy(paired, { firmware: 'auto' });
    const r3 = await release(3, updateBytes);
    const before = figures(await xs.call({ op: 'gc' }));
    step = 'announce';
    const autoAnnounced = await announce(r3);
    const updateCrank = cranksOf('announce').pop() as CrankFigures;
    const rebootReply = await xs.call<{ firmware: FirmwareView }>({ op: 'reboot' });
    const autoAfterReboot = rebootReply.value.firmware;

    step = 'auditLog';
    const audit = (await phone.readAuditLog(paired)).entries.map((e) => ({ event: e.event, detail: e.detail }));

    // step 7 and the rest: reboot, transfer window, factory reset
    const rebooted = await xs.call<{ state: DeviceState }>({ op: 'reboot' });
    step = 'transferOpen';
    await phone.openTransfer(paired, 300);
    const transferWindow = (await state()).state.window?.kind ?? null;
    const reset = await xs.call<{ state: DeviceState }>({ op: 'reset' });
    let revokedAfterReset: string | null = null;
    try {
      await verifyImprintChain(paired.imprint, paired.certificate, verifier);
    } catch (e) {
      revokedAfterReset = String((e as { code?: string }).code);
    }

    const [pairRequest, requestCredential] = cranksOf('pair');
    return {
      deviceDid: boot.value.did,
      pairingDid: boot.value.pairingDid,
      ownerDid: paired.ownerDid,
      lifecycleAfterPairing,
      imprintChainOwner: chain.owner,
      policy: { initial, afterSet, readBack },
      serviceAuth: {
        subject: service.did,
        credentialId: String(grant.id),
        credentialSubject: grant.credentialSubject as Record<string, unknown>,
        accepted,
        afterRevoke,
        deviceRefusal,
      },
      introduction,
      ownership,
      support: {
        supportThreadId: handle.supportThreadId,
        maker: held && { device: held.device, subject: held.subject, context: held.context, messages: held.messages.map((m) => ({ ...m })) },
        relayed,
        device: thread && { status: thread.status, shared: thread.shared, undelivered: thread.undelivered, messages: thread.messages.map((m) => ({ from: m.from, text: m.text })) },
      },
      firmware: {
        never,
        ask: { announced: askAnnounced, after: askAfter, approved, afterReboot: askAfterReboot },
        auto: { announced: autoAnnounced, afterReboot: autoAfterReboot, expectedDigest: sha256Hex(r3.image) },
        reports: maker.firmwareReports.map(({ device, report }) => ({ signer: String(report.from), from: device, status: report.body.status, sequence: report.body.sequence, digest: report.body.digest })),
      },
      audit,
      ownerAfterReboot: rebooted.value.state.owner?.did ?? null,
      transferWindow,
      lifecycleAfterReset: reset.value.state.lifecycle,
      revokedAfterReset,
      heap: { loaded, booted, manufactured, paired: paired_ },
      cranks: { pairRequest, requestCredential, transferOpen: cranksOf('transferOpen')[0], setPolicy: cranksOf('setPolicy')[0], diagnostics: cranksOf('diagnostics')[0] },
      allCranks: cranks.map((c) => ({ step: c.step, compute: c.f.compute })),
      update: {
        bytes: updateBytes,
        before,
        crank: updateCrank,
        boot: figures(rebootReply),
        installed: autoAfterReboot.running.digest === sha256Hex(r3.image) && autoAfterReboot.installedSequence === 3,
      },
    };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--update');
  const updateBytes = i > 0 ? Number(process.argv[i + 1]) : undefined;
  const result = await runDeviceStoryInXs({ updateBytes });
  process.stdout.write(JSON.stringify(result) + '\n');
}
