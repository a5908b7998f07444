/**
 * The XS heap figures the firmware logs when the `reportHeap` setting is on:
 * how much of an ESP32's ~300 KB the agent takes after boot is the number
 * that decides what can stay in RAM and what must be preloaded into flash.
 * Read from the SDK's `instrumentation` module after a forced collection
 * (`debug`'s `gc`), so the slot heap is what is live, not garbage waiting.
 * Instrumentation exists only in `-d` (debug) and `-i` (instrumented)
 * builds; in a plain release build the figures are `undefined`.
 */
import Debug from 'moddable:debug';
import Instrumentation from 'moddable:instrumentation';

/** Bytes (heaps, stack), counts (keys, modules, collections). */
export interface HeapFigures {
  /** XS slot heap in use (live slots × slot size), bytes. */
  slotHeap: number;
  /** XS chunk heap in use (strings, buffers, byte code in RAM), bytes. */
  chunkHeap: number;
  /** Runtime keys (property names) made beyond the preloaded ones. */
  keys: number;
  /** Modules loaded at run time (preloaded modules are not counted). */
  modules: number;
  /** Garbage collections since the last instrumentation sample (the simulators sample about once a second). */
  collections: number;
  /** Peak XS stack used since the last instrumentation sample, bytes. */
  stackPeak: number;
}

const NAMES: Record<keyof HeapFigures, Parameters<typeof Instrumentation.map>[0]> = {
  slotHeap: 'XS Slot Heap Used',
  chunkHeap: 'XS Chunk Heap Used',
  keys: 'XS Keys Used',
  modules: 'XS Modules Loaded',
  collections: 'XS Garbage Collection Count',
  stackPeak: 'XS Stack Used',
};

/** Collects garbage, then reads the figures; `undefined` when the build has no instrumentation. */
export function heapFigures(): HeapFigures | undefined {
  Debug.gc();
  const out: Partial<HeapFigures> = {};
  for (const field of Object.keys(NAMES) as (keyof HeapFigures)[]) {
    const index = Instrumentation.map(NAMES[field]);
    const value = index === undefined ? undefined : Instrumentation.get(index);
    if (value === undefined) return undefined;
    out[field] = value;
  }
  return out as HeapFigures;
}
