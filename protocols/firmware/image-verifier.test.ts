/**
 * ImageVerifier: chunked hashing equals the one-shot digest, the first byte
 * beyond the stated size is refused before it is hashed, short images and
 * one-bit differences are refused at finish.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '../../tests/support/assert.ts';
import { getCrypto } from '../crypto/index.ts';
import { equalBytes } from '../encoding/bytes.ts';
import { ImageVerifier } from './image-verifier.ts';

function image(n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const img = image(5000);
const expected = () => ({ digest: { algorithm: 'sha-256' as const, bytes: getCrypto().sha256(img) }, size: img.length });

function feed(v: ImageVerifier, data: Uint8Array, chunk: number): void {
  for (let o = 0; o < data.length; o += chunk) v.update(data.subarray(o, Math.min(data.length, o + chunk)));
}

describe('ImageVerifier', () => {
  it('accepts the image in any chunking and returns its digest', () => {
    for (const chunk of [1, 7, 512, 4999, 5000]) {
      const v = new ImageVerifier(expected());
      feed(v, img.subarray(0, 200), chunk);
      expect(v.received).toBe(200);
      feed(v, img.subarray(200), chunk);
      expect(v.remaining).toBe(0);
      expect(equalBytes(v.finish().bytes, expected().digest.bytes)).toBe(true);
    }
  });

  it('SHA-512 digests work too', () => {
    const v = new ImageVerifier({ digest: { algorithm: 'sha-512', bytes: getCrypto().sha512(img) }, size: img.length });
    feed(v, img, 1000);
    expect(v.finish().algorithm).toBe('sha-512');
  });

  it('refuses the first chunk that goes past the size, at once, and stays failed', () => {
    const v = new ImageVerifier(expected());
    feed(v, img, 1000);
    expectCode(() => v.update(new Uint8Array(1)), 'firmware.image_too_long');
    expect(v.received).toBe(img.length);
    expectCode(() => v.finish(), 'firmware.verifier_closed');
    const w = new ImageVerifier(expected());
    w.update(img.subarray(0, 4000));
    expectCode(() => w.update(new Uint8Array(1001)), 'firmware.image_too_long');
    expect(w.received).toBe(4000);
  });

  it('refuses a short image', () => {
    const v = new ImageVerifier(expected());
    feed(v, img.subarray(0, img.length - 1), 999);
    expectCode(() => v.finish(), 'firmware.image_too_short');
  });

  it('refuses an image one bit different', () => {
    for (const at of [0, 2500, img.length - 1]) {
      const bad = img.slice();
      bad[at] ^= 0x10;
      const v = new ImageVerifier(expected());
      feed(v, bad, 1024);
      expectCode(() => v.finish(), 'firmware.digest_mismatch');
    }
  });

  it('a finished verifier takes no more data; a zero-length image works', () => {
    const v = new ImageVerifier(expected());
    feed(v, img, 5000);
    v.finish();
    expectCode(() => v.update(new Uint8Array(0)), 'firmware.verifier_closed');
    const empty = new ImageVerifier({ digest: { algorithm: 'sha-256', bytes: getCrypto().sha256(new Uint8Array(0)) }, size: 0 });
    expect(empty.finish().bytes).toHaveLength(32);
    expectCode(() => new ImageVerifier({ ...expected(), size: -1 }), 'firmware.invalid_manifest');
  });
});
