/**
 * httpImageSource against a real local HTTP server: Range requests, a
 * connection dropped mid-body (the updater resumes with Range and installs),
 * a server that ignores Range (bytes skipped here), 416 and error statuses.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manufacturer, makeImage, sha256Hex, SimulatedDevice } from '../../device/updater/testbed.ts';
import { httpImageSource } from './http-images.ts';

const image = makeImage(200_000, 42);
let server: Server;
let base = '';
/** Requests seen: path and Range header. */
const seen: { path: string; range?: string }[] = [];
/** Paths whose first response is cut after this many body bytes. */
const dropOnce = new Map<string, number>();

function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  seen.push({ path, range: req.headers.range });
  if (path === '/missing') {
    res.writeHead(404).end();
    return;
  }
  const ignoreRange = path.startsWith('/norange');
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  let start = 0;
  if (m && !ignoreRange) {
    start = Number(m[1]);
    if (start >= image.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${image.length}` }).end();
      return;
    }
    res.writeHead(206, { 'Content-Range': `bytes ${start}-${image.length - 1}/${image.length}`, 'Content-Length': image.length - start });
  } else {
    res.writeHead(200, { 'Content-Length': image.length });
  }
  const drop = dropOnce.get(path);
  if (drop !== undefined) {
    dropOnce.delete(path);
    res.write(image.subarray(start, start + drop), () => res.destroy());
    return;
  }
  res.end(image.subarray(start));
}

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('httpImageSource', () => {
  const src = httpImageSource();

  it('reads the whole image, and from an offset with Range', async () => {
    expect(sha256Hex(await collect(src.read(`${base}/img`, 0)))).toBe(sha256Hex(image));
    const tail = await collect(src.read(`${base}/img`, 150_000));
    expect(sha256Hex(tail)).toBe(sha256Hex(image.subarray(150_000)));
    expect(seen[seen.length - 1].range).toBe('bytes=150000-');
  });

  it('skips the prefix itself when the server ignores Range', async () => {
    const tail = await collect(src.read(`${base}/norange`, 123_456));
    expect(sha256Hex(tail)).toBe(sha256Hex(image.subarray(123_456)));
  });

  it('416 past the end is an empty stream; other statuses are errors', async () => {
    expect((await collect(src.read(`${base}/img`, image.length))).length).toBe(0);
    await expect(collect(src.read(`${base}/missing`, 0))).rejects.toThrow(/404/);
  });

  it('the updater resumes a dropped HTTP download with Range and installs', async () => {
    const m = await Manufacturer.create();
    const d = await SimulatedDevice.manufacture(m, { capacity: 256 * 1024 });
    d.useImageSource(httpImageSource());
    const r = await m.release({ sequence: 2, image, uri: `${base}/fw/2.bin` });
    dropOnce.set('/fw/2.bin', 70_000);
    const before = seen.length;
    expect((await d.updater.handleAnnouncement(m.announce(r, 1))).status).toBe('rebooting');
    const requests = seen.slice(before).filter((s) => s.path === '/fw/2.bin');
    expect(requests).toHaveLength(2);
    expect(requests[0].range).toBeUndefined();
    expect(Number(/bytes=(\d+)-/.exec(requests[1].range ?? '')?.[1])).toBeGreaterThan(0);
    expect((await d.restart()).status).toBe('installed');
    expect(d.runningDigest()).toBe(sha256Hex(image));
  });
});
