/**
 * The updater's ImageSource over HTTP(S) for the Node host: `Range:
 * bytes=<offset>-` so an interrupted download resumes where it stopped.
 *
 * Server behaviours handled (RFC 9110 §14): 206 with a Content-Range that
 * must start at the offset asked for; 200 (Range ignored) -> the first
 * `offset` bytes are skipped here; 416 (nothing at or after the offset) ->
 * an empty stream, so the updater sees a short image. Any other status, or
 * a 206 for another range, is an error (the updater retries, then reports).
 * Nothing here is trusted: the updater hashes every byte it is given.
 */
import type { ImageSource } from '../../device/updater/host.ts';

export interface HttpImageSourceOptions {
  /** fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Abort a request that has sent nothing for this long (default 30 s). */
  idleTimeoutMs?: number;
}

export class HttpStatusError extends Error {
  readonly code = 'host.http_status';
  constructor(readonly status: number, uri: string) {
    super(`HTTP ${status} for ${uri}`);
    this.name = 'HttpStatusError';
  }
}

export function httpImageSource(options: HttpImageSourceOptions = {}): ImageSource {
  const doFetch = options.fetch ?? fetch;
  const idle = options.idleTimeoutMs ?? 30_000;
  return {
    async *read(uri: string, offset: number): AsyncIterable<Uint8Array> {
      const controller = new AbortController();
      let timer = setTimeout(() => controller.abort(), idle);
      const touch = () => {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(), idle);
      };
      try {
        const res = await doFetch(uri, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal: controller.signal });
        let skip = 0;
        if (res.status === 416 && offset > 0) {
          await res.body?.cancel();
          return;
        }
        if (res.status === 206) {
          const range = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
          if (!range || Number(range[1]) !== offset) {
            await res.body?.cancel();
            throw new HttpStatusError(206, uri);
          }
        } else if (res.status === 200) {
          skip = offset;
        } else {
          await res.body?.cancel();
          throw new HttpStatusError(res.status, uri);
        }
        if (!res.body) return;
        for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
          touch();
          let chunk = part;
          if (skip > 0) {
            const n = Math.min(skip, chunk.length);
            skip -= n;
            chunk = chunk.subarray(n);
            if (chunk.length === 0) continue;
          }
          yield chunk;
        }
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
    },
  };
}
