/**
 * The part of @agoric/xsnap (0.15, untyped JavaScript) that hosts/xs uses.
 * Shapes follow node_modules/@agoric/xsnap/src/xsnap.js.
 */
declare module '@agoric/xsnap' {
  import type { spawn } from 'node:child_process';

  export interface MeterUsage {
    meterType: string;
    /** Work done in the crank, counted deterministically (uint32 in xsnap-worker). */
    compute: number | null;
    allocate: number | null;
    currentHeapCount: number | null;
    timestamps: number[] | null;
  }

  export interface RunResult<T> {
    reply: T;
    meterUsage: MeterUsage;
  }

  export interface XSnapOptions {
    os: string;
    spawn: typeof spawn;
    fs: object;
    handleCommand?: (request: Uint8Array) => Promise<Uint8Array>;
    name?: string;
    debug?: boolean;
    netstringMaxChunkSize?: number;
    parserBufferSize?: number;
    stdout?: 'ignore' | 'inherit' | 'pipe';
    stderr?: 'ignore' | 'inherit' | 'pipe';
    /** Per-crank compute limit; 0 = none. Passed to xsnap-worker through atoi(): keep it below 2^31. */
    meteringLimit?: number;
    env?: Record<string, string | undefined>;
  }

  export interface XSnap {
    readonly name: string;
    evaluate(code: string): Promise<RunResult<Uint8Array>>;
    issueCommand(message: Uint8Array): Promise<RunResult<Uint8Array>>;
    issueStringCommand(message: string): Promise<RunResult<string>>;
    isReady(): Promise<void>;
    close(): Promise<void>;
    terminate(): Promise<void>;
  }

  export function xsnap(options: XSnapOptions): Promise<XSnap>;
  export const METER_TYPE: string;
  export const ExitCode: Record<string, number>;
}
