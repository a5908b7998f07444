/**
 * QR codes for out-of-band URLs (device labels, the owner app's pairing
 * screen). Node-side on purpose: a device does not draw its label — the
 * factory station prints it — so the `qrcode` package stays out of the
 * neutral code.
 *
 * Error correction M (15 % of codewords recoverable) is what labels use:
 * L is fragile on a printed sticker, Q/H make the code too dense for a
 * ~500-byte invitation at a small print size.
 */
import QRCode from 'qrcode';

export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

export interface QrInfo {
  /** QR version 1-40 (modules per side = 17 + 4 * version). */
  version: number;
  /** Modules per side. */
  modules: number;
  errorCorrection: QrErrorCorrection;
  /** Length of the encoded text in bytes (UTF-8). */
  bytes: number;
}

/** The smallest QR code that holds `text` at `errorCorrection` (default M). Throws if it fits no version. */
export function qrInfo(text: string, errorCorrection: QrErrorCorrection = 'M'): QrInfo {
  const qr = QRCode.create(text, { errorCorrectionLevel: errorCorrection });
  return { version: qr.version, modules: qr.modules.size, errorCorrection, bytes: Buffer.byteLength(text, 'utf8') };
}

/** SVG markup of the QR code (for labels and the web console). */
export function qrSvg(text: string, errorCorrection: QrErrorCorrection = 'M'): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: errorCorrection, margin: 4 });
}

/** The QR code drawn with Unicode half blocks, for terminals (`npm start` prints pairing codes). */
export function qrTerminal(text: string, errorCorrection: QrErrorCorrection = 'M'): Promise<string> {
  return QRCode.toString(text, { type: 'utf8', errorCorrectionLevel: errorCorrection });
}
