/**
 * Firmware releases and staged rollouts of the manufacturer service
 * (issue 7): upload, SUIT signing, atomic publishing, rollouts with stages
 * and thresholds, device status reports, images over HTTP Range.
 */
export { migrate } from './schema.ts';
export { ReleaseError, httpStatusOf, RELEASE_STATUS } from './errors.ts';
export { ReleaseService } from './service.ts';
export { ReleaseStore, releaseView, DEFAULT_MAX_IMAGE_BYTES, type ReleaseRow, type UploadInput } from './releases.ts';
export {
  Rollouts,
  DEFAULT_ERROR_THRESHOLD,
  DEFAULT_SUCCESS_THRESHOLD,
  type CreateRolloutInput,
  type DeviceRolloutStatus,
  type ReportOutcome,
  type RolloutProgress,
  type StageProgress,
} from './rollouts.ts';
export * from './rollout-machine.ts';
export { assignStages, checkStages, stageRankKey, DEFAULT_STAGES, type StageAssignment } from './stages.ts';
export { parseRange, type RangeAnswer } from './images.ts';
export { releasesPlugin, type ReleasesPluginOptions } from './plugin.ts';
export * from './types.ts';
