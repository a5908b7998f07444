/**
 * Adding a device: scan its label's QR code with the camera (BarcodeDetector,
 * where the browser has it) or paste the link printed under the code; then
 * OwnerAgent.pair (certificate check back to the trusted manufacturer,
 * proof of the label secret, the imprint) and the device goes in the wallet.
 */
import type { PairedDevice } from '../agent.ts';
import { h, replace } from './dom.ts';
import { act, describeError, notice, show } from './screen.ts';
import { session } from './session.ts';

interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
type BarcodeDetectorCtor = new (o: { formats: string[] }) => BarcodeDetectorLike;

export function addDeviceView(back: () => void, paired: (d: PairedDevice) => void): void {
  const link = h('textarea', { id: 'label-link', rows: 4, placeholder: 'https://ssiot.dev/pair?_oob=…', spellcheck: 'false' });
  const pair = h('button', { type: 'button', id: 'pair' }, 'Pair');
  pair.addEventListener('click', () => void pairWith(link.value.trim(), paired));
  const scanArea = h('div', { class: 'scan' });
  const scan = h('button', { type: 'button', class: 'secondary', id: 'scan' }, 'Scan the label with the camera');
  let stop: (() => void) | undefined;
  scan.addEventListener('click', () => {
    stop?.();
    void startScan(scanArea, (text) => {
      link.value = text;
      void pairWith(text, paired);
    }).then((s) => (stop = s));
  });
  show(
    'Add a device',
    () => {
      stop?.();
      back();
    },
    h('div', { class: 'card' }, h('p', {}, 'Point the camera at the QR code on the device’s label.'), scan, scanArea),
    h('div', { class: 'card' }, h('label', {}, 'Or paste the link printed under the code', link), pair),
  );
}

/** Camera + BarcodeDetector where the browser has both; else says why and leaves the paste field. */
async function startScan(area: HTMLElement, found: (text: string) => void): Promise<(() => void) | undefined> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;
  if (!Detector || !navigator.mediaDevices?.getUserMedia) {
    replace(area, h('p', { class: 'hint', id: 'scan-unavailable' }, 'This browser cannot read QR codes from the camera (no BarcodeDetector). Paste the link printed under the code instead, or open this app in a browser that can.'));
    return undefined;
  }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch (e) {
    replace(area, h('p', { class: 'hint' }, `No camera: ${describeError(e)}. Paste the link instead.`));
    return undefined;
  }
  const video = h('video', { autoplay: true, playsinline: true, muted: true, class: 'camera' });
  video.srcObject = stream;
  replace(area, video);
  const detector = new Detector({ formats: ['qr_code'] });
  let running = true;
  const stop = () => {
    running = false;
    for (const t of stream.getTracks()) t.stop();
    area.replaceChildren();
  };
  const tick = async () => {
    if (!running) return;
    try {
      const codes = await detector.detect(video);
      const hit = codes.find((c) => c.rawValue.includes('oob='));
      if (hit) {
        stop();
        found(hit.rawValue);
        return;
      }
    } catch {
      /* the video is not ready yet */
    }
    setTimeout(() => void tick(), 250);
  };
  void tick();
  return stop;
}

async function pairWith(url: string, then: (d: PairedDevice) => void): Promise<void> {
  const s = session();
  if (!s.settings.manufacturerDid) return notice('Set the trusted manufacturer DID in Settings first', 'error');
  const paired = await act('Pairing (checking the device certificate, then the imprint)', () => s.agent.pair(url), (p) => `Paired with ${p.device.model} ${p.device.serial}`);
  if (!paired) return;
  await s.vault.saveDevice(paired);
  then(paired);
}
