/**
 * The label QR on the board's display, when the build has one (Moddable
 * sets the global `screen` for boards with a display driver; the
 * simulators have one too): white background, black modules as large as
 * fit, centred. Returns false when there is no screen.
 */
import Poco from 'moddable:commodetto/Poco';

export function drawQr(qr: ArrayBuffer & { size: number }): boolean {
  const screen = (globalThis as { screen?: unknown }).screen;
  if (!screen) return false;
  const render = new Poco(screen);
  const quiet = 4;
  const modules = qr.size + 2 * quiet;
  const pixels = Math.max(1, Math.floor(Math.min(render.width, render.height) / modules));
  const x = Math.floor((render.width - qr.size * pixels) / 2);
  const y = Math.floor((render.height - qr.size * pixels) / 2);
  render.begin();
  render.fillRectangle(render.makeColor(255, 255, 255), 0, 0, render.width, render.height);
  render.drawQRCode(qr, x, y, pixels, render.makeColor(0, 0, 0));
  render.end();
  return true;
}
