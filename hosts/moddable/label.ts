/**
 * The pairing label: the OOB invitation URL as a QR code (Moddable's
 * `qrcode` module encodes it into a size×size module array) drawn on the
 * board's display when it has one (Poco `drawQRCode`, display.ts) and
 * always printed to the console, two modules per character with Unicode
 * half blocks plus the 4-module quiet zone a scanner needs, so a phone can
 * scan it off a serial monitor or the simulator's log.
 */

/** A QR module matrix as `qrcode` returns it: `size`×`size` bytes, non-zero = dark. */
export interface QrMatrix {
  size: number;
  cells: Uint8Array;
}

const QUIET = 4;

/** Text rendering, dark modules as ink (light background terminals read it inverted: both scan). */
export function qrText(qr: QrMatrix): string {
  const { size, cells } = qr;
  if (!Number.isInteger(size) || size <= 0 || cells.length < size * size) throw new RangeError('QR matrix does not match its size');
  const dark = (x: number, y: number) => x >= 0 && y >= 0 && x < size && y < size && cells[y * size + x] !== 0;
  const lines: string[] = [];
  for (let y = -QUIET; y < size + QUIET; y += 2) {
    let line = '';
    for (let x = -QUIET; x < size + QUIET; x++) {
      const top = dark(x, y);
      const bottom = dark(x, y + 1);
      line += top ? (bottom ? '\u2588' : '\u2580') : bottom ? '\u2584' : ' ';
    }
    lines.push(line);
  }
  return lines.join('\n');
}
