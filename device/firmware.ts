/**
 * Firmware in the device agent (story step 5): the agent owns the
 * device/updater Updater and speaks protocols/messages/firmware.ts
 * (docs/protocols.md §firmware).
 *
 * Wiring: the updater's slots, store, image source and restart come from
 * the DeviceHost; its trusted state is the anchor pinned at manufacture
 * (manufacture.ts provisions it); the policy is the owner's
 * (`updaterPolicy`, read at each announcement: an unowned device installs
 * nothing); status reports are signed by the device key (wallet handle,
 * never exported) and sent to the manufacturer over the device's
 * manufacturer link — a report that cannot be delivered stays queued in the
 * updater's outbox and goes out at a later boot.
 *
 * Who may announce: the manufacturer contact or the current owner (who may
 * forward a release). Choice: the sender is only a filter against noise;
 * what makes a release installable is the SUIT signature by the
 * manufacturer DID verified from the pinned anchor, so a relayed
 * announcement is as good as a direct one.
 *
 * Boot: `DeviceAgent.boot` runs `DeviceFirmware.boot()`: a trial image runs
 * the host's self-test and confirms (or reverts), queued reports are sent.
 * A failing updater never stops the device from booting: its error is
 * logged and the agent goes on with the image it runs.
 */
import { base64urlDecode } from '../protocols/encoding/base64url.ts';
import { isSsiotError } from '../protocols/errors.ts';
import type { PlaintextMessage } from '../protocols/didcomm/message.ts';
import {
  buildFirmwareProgress,
  buildFirmwareStatus,
  FIRMWARE_ANNOUNCE_TYPE,
  FIRMWARE_APPROVE_TYPE,
  FIRMWARE_REFUSED,
  validateFirmwareAnnounce,
  validateFirmwareApprove,
} from '../protocols/messages/firmware.ts';
import type { DeviceAgent, InboundContext, OwnerContext } from './agent.ts';
import { DeviceError } from './errors.ts';
import { linkOf } from './introduce.ts';
import { deviceSigner } from './manufacture.ts';
import { manufacturerContact } from './manufacturer-link.ts';
import { audit, updaterPolicy } from './policy.ts';
import type { ImageSource } from './updater/host.ts';
import { TRUSTED_STATE_KEY } from './updater/trusted-state.ts';
import { Updater, type BootOutcome, type UpdateOutcome } from './updater/updater.ts';

export interface FirmwareOptions {
  /** The device's SUIT vendor and class ids (UUIDs, as in the manufacturer's manifests). */
  vendorId: Uint8Array | string;
  classId: Uint8Array | string;
  /** Runs on the first boot of a new image; false (or a throw) reverts to the previous image. Default: passes. */
  selfTest?: () => boolean | Promise<boolean>;
  /** Offset checkpoint interval of downloads (default: the updater's 64 KiB). */
  checkpointBytes?: number;
}

/** Problem code for an announcement from someone who is neither the manufacturer contact nor the owner. */
export const NOT_MANUFACTURER = 'e.p.trust.not-manufacturer';

export class DeviceFirmware {
  readonly updater: Updater;
  /** What the last boot() did (undefined before manufacture or when the updater failed). */
  lastBoot: BootOutcome | undefined;

  constructor(
    private readonly agent: DeviceAgent,
    private readonly options: FirmwareOptions,
  ) {
    const host = agent.platform;
    const images: ImageSource = host.images ?? noImages;
    this.updater = new Updater(
      {
        kv: host.kv,
        slots: host.slots,
        images,
        now: () => host.now(),
        reboot: async () => {
          host.logger.log('info', 'restarting into new firmware', {});
          if (host.restart) await host.restart();
        },
        sendReport: async (report) => {
          await linkOf(agent).exchange(buildFirmwareStatus({ report, createdTime: Math.floor(host.now() / 1000) }));
        },
      },
      {
        vendorId: options.vendorId,
        classId: options.classId,
        reportSigner: deviceSigner(agent.wallet, agent.identity.did),
        policy: updaterPolicy(agent),
        checkpointBytes: options.checkpointBytes,
      },
    );
    agent.registerPeerHandler(FIRMWARE_ANNOUNCE_TYPE, (ctx) => this.onAnnounce(ctx));
    agent.registerOwnerHandler(FIRMWARE_APPROVE_TYPE, (ctx) => this.onApprove(ctx));
  }

  /** Completes an interrupted update (self-test + confirm or revert) and sends queued reports. */
  async boot(): Promise<BootOutcome | undefined> {
    const host = this.agent.platform;
    this.lastBoot = undefined;
    if ((await host.kv.get(TRUSTED_STATE_KEY)) === undefined) return undefined; // not manufactured yet
    try {
      this.lastBoot = await this.updater.boot(this.options.selfTest ?? (() => true));
    } catch (e) {
      host.logger.log('error', 'firmware boot step failed', { code: isSsiotError(e) ? e.code : 'device.firmware_failed' });
      return undefined;
    }
    if (this.lastBoot.status === 'installed' || this.lastBoot.status === 'reverted') {
      await this.record(`firmware.${this.lastBoot.status}`, undefined, `sequence=${this.lastBoot.sequence}`);
    }
    host.logger.log('info', 'firmware boot', { status: this.lastBoot.status });
    return this.lastBoot;
  }

  private async onAnnounce(ctx: InboundContext): Promise<PlaintextMessage | undefined> {
    const contact = await manufacturerContact(ctx.wallet);
    const owner = this.agent.state.owner;
    if (ctx.sender !== contact?.did && ctx.sender !== owner?.did) return ctx.problem(NOT_MANUFACTURER);
    const msg = validateFirmwareAnnounce(ctx.message);
    if (!ctx.host.images) return ctx.problem(FIRMWARE_REFUSED, 'device.no_image_source');
    return this.run(ctx, async () => this.updater.handleAnnouncement({ envelope: base64urlDecode(msg.body.envelope), log: msg.body.log }));
  }

  private async onApprove(ctx: OwnerContext): Promise<PlaintextMessage | undefined> {
    const { sequence } = validateFirmwareApprove(ctx.message).body;
    await this.record('firmware.approved', ctx.sender, `sequence=${sequence}`);
    return this.run(ctx, () => this.updater.approve(sequence));
  }

  /** Runs an updater step; its outcome becomes a progress reply, a refusal a problem report (both audited). */
  private async run(ctx: InboundContext, step: () => Promise<UpdateOutcome>): Promise<PlaintextMessage> {
    let out: UpdateOutcome;
    try {
      out = await step();
    } catch (e) {
      if (!isSsiotError(e) || !(e.code.startsWith('firmware.') || e.code.startsWith('did.') || e.code.startsWith('encoding.'))) throw e;
      await this.record('firmware.refused', ctx.sender, e.code);
      return ctx.problem(FIRMWARE_REFUSED, e.code);
    }
    await this.record(`firmware.${out.status}`, ctx.sender, `sequence=${out.sequence}`);
    return buildFirmwareProgress({ ...ctx.reply, sequence: out.sequence, status: out.status, offset: out.status === 'interrupted' ? out.offset : undefined });
  }

  /** An audit entry for the current owner (the owner reads what the device did with its firmware). */
  private async record(event: string, party: string | undefined, detail: string): Promise<void> {
    // audit event names are dotted lower-case with hyphens (firmware.awaiting-approval)
    await audit(this.agent.wallet, this.agent.state.owner ?? null, this.agent.platform.now(), { event: event.replace(/_/g, '-'), party, detail });
  }
}

/** A host without an image source: downloads fail as a network error would. */
const noImages: ImageSource = {
  read(): AsyncIterable<Uint8Array> {
    throw new DeviceError('device.no_image_source', 'the host has no firmware image source');
  },
};
