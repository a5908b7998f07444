/**
 * The device story with the device agent inside XS: hosts/xs/device-payload.ts
 * runs in an xsnap worker, Node plays the factory station and the owner's
 * phone (OwnerAgent), and each envelope for the device is one crank. Used by
 * tests/device-xs.test.ts (spawned in a process of its own: xsnap needs a
 * locked-down realm, never a vitest worker) and by bench/device.ts for the
 * XS heap and meter figures. Run: `npx tsx hosts/xs/device-story.ts [--update <bytes>]`;
 * prints one JSON line (StoryResult).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { T0, testManufacturer } from '../../device/testing/fixtures.ts';
import { issueDeviceCertificate } from '../../manufacturer/factory-station.ts';
import { OwnerAgent } from '../../owner/agent.ts';
import { createDefaultResolver } from '../../protocols/did/resolver.ts';
import type { VerifiableCredential } from '../../protocols/vc/credential.ts';
import { verifyImprintChain } from '../../protocols/vc/device-credentials.ts';
import { withXsPayload, type XsReply } from '../../bench/support.ts';
import type { DeviceState } from '../../device/state.ts';
import type { LabelOutput } from '../../device/host.ts';

/** XS meter figures of one crank: compute, heap bytes obtained so far (grows only), live heap slots. */
export interface CrankFigures {
  compute: number;
  allocate: number;
  heapCount: number;
}

export interface StoryResult {
  deviceDid: string;
  ownerDid: string;
  lifecycleAfterPairing: string;
  imprintChainOwner: string;
  ownerAfterReboot: string | null;
  transferWindow: string | null;
  lifecycleAfterReset: string;
  revokedAfterReset: string | null;
  /** After boot + gc, after manufacture + gc, after pairing + gc. */
  heap: { loaded: CrankFigures; booted: CrankFigures; manufactured: CrankFigures; paired: CrankFigures };
  /** The device's cranks: pair-request, request-credential (the pairing), transfer-open (one authcrypt message of an owned device). */
  cranks: { pairRequest: CrankFigures; requestCredential: CrankFigures; transferOpen: CrankFigures };
  /** A firmware update of `bytes` on the same worker (when asked): `before` = prepared (release and image in memory) + gc. */
  update?: { bytes: number; before: CrankFigures; crank: CrankFigures; installed: boolean };
}

const figures = (r: XsReply<unknown>): CrankFigures => ({ compute: r.compute, allocate: r.meter.allocate ?? 0, heapCount: r.meter.currentHeapCount ?? 0 });

/** Runs manufacture, QR pairing, imprint check, reboot, transfer-open and factory reset with the device in XS. */
export async function runDeviceStoryInXs(o: { updateBytes?: number } = {}): Promise<StoryResult> {
  const mfr = await testManufacturer();
  const handleCommand = (request: Uint8Array): Uint8Array => {
    const cmd = JSON.parse(new TextDecoder().decode(request)) as { op: string; length?: number };
    if (cmd.op === 'random') return new Uint8Array(randomBytes(cmd.length ?? 0));
    // the device's own sends: nothing in this story expects an answer
    if (cmd.op === 'send') return new TextEncoder().encode('{"reply":null}');
    return new TextEncoder().encode('{}');
  };
  return withXsPayload('hosts/xs/device-payload.ts', { name: 'device-story', handleCommand }, async (xs) => {
    const loaded = figures(await xs.call({ op: 'gc' }));
    const boot = await xs.call<{ did: string; request: Parameters<typeof issueDeviceCertificate>[0] }>({ op: 'boot' });
    const booted = figures(await xs.call({ op: 'gc' }));
    const certificate = await issueDeviceCertificate(boot.value.request, { signer: mfr.signer, log: mfr.log, now: new Date(T0) });
    const { label } = (await xs.call<{ label: LabelOutput }>({ op: 'install', certificate, log: mfr.log })).value;
    const manufactured = figures(await xs.call({ op: 'gc' }));

    const cranks: CrankFigures[] = [];
    const resolver = createDefaultResolver({ documents: [mfr.state.document] });
    const phone = new OwnerAgent({
      transport: {
        send: async (_endpoint, packed) => {
          const r = await xs.call<{ reply: string | null }>({ op: 'receive', packed });
          cranks.push(figures(r));
          return r.value.reply ?? undefined;
        },
      },
      resolver,
      trustedManufacturers: [mfr.did],
      now: () => T0,
    });
    const paired = await phone.pair(label.url);
    const state = async () => (await xs.call<{ state: DeviceState }>({ op: 'state' })).value.state;
    const lifecycleAfterPairing = (await state()).lifecycle;
    const paired_ = figures(await xs.call({ op: 'gc' }));
    const verifier = {
      resolver,
      manufacturerDid: mfr.did,
      now: new Date(T0),
      checkStatus: { fetchStatusList: async () => (await xs.call<{ credential: VerifiableCredential }>({ op: 'statusList' })).value.credential },
    };
    const chain = await verifyImprintChain(paired.imprint, paired.certificate, verifier);

    const rebooted = await xs.call<{ state: DeviceState }>({ op: 'reboot' });
    await phone.openTransfer(paired, 300);
    const transferWindow = (await state()).window?.kind ?? null;
    const reset = await xs.call<{ state: DeviceState }>({ op: 'reset' });
    let revokedAfterReset: string | null = null;
    try {
      await verifyImprintChain(paired.imprint, paired.certificate, verifier);
    } catch (e) {
      revokedAfterReset = String((e as { code?: string }).code);
    }

    const result: StoryResult = {
      deviceDid: boot.value.did,
      ownerDid: paired.ownerDid,
      lifecycleAfterPairing,
      imprintChainOwner: chain.owner,
      ownerAfterReboot: rebooted.value.state.owner?.did ?? null,
      transferWindow,
      lifecycleAfterReset: reset.value.state.lifecycle,
      revokedAfterReset,
      heap: { loaded, booted, manufactured, paired: paired_ },
      cranks: { pairRequest: cranks[0], requestCredential: cranks[1], transferOpen: cranks[2] },
    };
    if (o.updateBytes) {
      await xs.call({ op: 'updatePrepare', size: o.updateBytes });
      const before = figures(await xs.call({ op: 'gc' }));
      const u = await xs.call<{ installed: boolean }>({ op: 'update' });
      result.update = { bytes: o.updateBytes, before, crank: figures(u), installed: u.value.installed };
    }
    return result;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--update');
  const updateBytes = i > 0 ? Number(process.argv[i + 1]) : undefined;
  const result = await runDeviceStoryInXs({ updateBytes });
  process.stdout.write(JSON.stringify(result) + '\n');
}
