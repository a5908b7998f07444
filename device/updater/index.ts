/**
 * The device's firmware updater: trusted state (pinned manufacturer DID,
 * its did:webvh state, anti-rollback sequence), release verification,
 * resumable streaming download into the inactive slot, trial boot with
 * self-test, signed status reports — host-independent (host.ts).
 */
export * from './host.ts';
export * from './boot-state.ts';
export * from './trusted-state.ts';
export * from './announcement.ts';
export * from './release.ts';
export * from './report.ts';
export * from './updater.ts';
export { MemoryImageSource, MemoryKv, MemorySlots, PowerCut, PowerFaults, type CutPlan, type ImageSourceFaults, type MemorySlotsOptions } from './memory.ts';
