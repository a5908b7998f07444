/**
 * The command loop every XS benchmark payload runs: one JSON command per
 * crank in, one JSON reply out. A handler that returns a promise gets the
 * reply-when-settled form (`{ result }`), which xsnap reads after the promise
 * jobs of the crank have run, so the crank's meter covers all of the work.
 * Platform-neutral (runs inside xsnap).
 */

const g = globalThis as unknown as {
  handleCommand?: (m: ArrayBuffer) => ArrayBuffer | { result?: ArrayBuffer };
  issueCommand?: (m: ArrayBuffer) => ArrayBuffer;
  performance?: { now(): number };
};

/** Milliseconds from the best clock the engine has (xsnap may lack `performance`). */
export const now = (): number => (g.performance ? g.performance.now() : Date.now());

const encoder = new TextEncoder();

/** A JSON value as the bytes of a reply or a command. */
export function encodeJson(value: unknown): ArrayBuffer {
  return encoder.encode(JSON.stringify(value)).buffer as ArrayBuffer;
}

/** Sends a JSON command to the Node side (synchronous `issueCommand`) and returns the raw reply bytes. */
export function askHost(command: unknown): Uint8Array {
  return new Uint8Array(g.issueCommand!(encodeJson(command)));
}

/**
 * Installs `handle` as the worker's command handler. A sync result is the
 * reply; a promise's value is, or `onError(reason)` when it rejects (the
 * drivers turn an `error` member into a thrown error).
 */
export function serveCommands<C>(handle: (cmd: C) => unknown, onError: (e: unknown) => unknown = (e) => ({ error: String(e) })): void {
  g.handleCommand = (message: ArrayBuffer) => {
    const result = handle(JSON.parse(new TextDecoder().decode(new Uint8Array(message))) as C);
    if (!(result instanceof Promise)) return encodeJson(result);
    const pending: { result?: ArrayBuffer } = {};
    result.then(
      (v) => (pending.result = encodeJson(v)),
      (e: unknown) => (pending.result = encodeJson(onError(e))),
    );
    return pending;
  };
}
