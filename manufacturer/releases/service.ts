/**
 * The releases module as one object the service wires: the store (upload,
 * sign, publish), rollouts (stages, staff actions, reports) and the entry
 * point the DIDComm side calls with a device's status report.
 */
import { ReleaseStore } from './releases.ts';
import { Rollouts, type ReportOutcome } from './rollouts.ts';
import type { ReleaseServiceOptions } from './types.ts';

export class ReleaseService {
  readonly releases: ReleaseStore;
  readonly rollouts: Rollouts;

  constructor(readonly options: ReleaseServiceOptions) {
    this.releases = new ReleaseStore(options);
    this.rollouts = new Rollouts(this.releases, options);
  }

  /** What the DIDComm handler calls with the `report` of a firmware status message (compact JWS). */
  receiveReport(jws: string): Promise<ReportOutcome> {
    return this.rollouts.receiveReport(jws);
  }

  /** Removes files left by a crash (temp files, files no row names). Call once at start. */
  sweep(): Promise<string[]> {
    return this.releases.sweep();
  }
}
