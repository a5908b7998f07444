/**
 * A few DOM helpers for the owner app: elements built with createElement and
 * textContent only (no innerHTML anywhere: what a device or the manufacturer
 * sends is never parsed as markup), plus a QR code drawn as SVG rectangles.
 */
import QRCode from 'qrcode';

type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | boolean | number | undefined | ((ev: Event) => void)>;

/** `h('button', {type: 'button', onclick: fn}, 'Pair')`. Boolean attributes are set when true. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** Replaces `el`'s children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** A definition list of label/value rows (credential fields). */
export function fields(rows: [string, string | undefined][], testId?: string): HTMLDListElement {
  const dl = h('dl', { class: 'fields', 'data-testid': testId });
  for (const [k, v] of rows) if (v !== undefined) append(dl, h('dt', {}, k), h('dd', { class: 'mono' }, v));
  return dl;
}

const SVG = 'http://www.w3.org/2000/svg';

/** The QR code of `text` as an SVG element (error correction M, as device labels use). */
export function qrElement(text: string, label: string): SVGSVGElement {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const margin = 4;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size + 2 * margin} ${size + 2 * margin}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('class', 'qr');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(size + 2 * margin));
  bg.setAttribute('height', String(size + 2 * margin));
  bg.setAttribute('fill', '#fff');
  svg.append(bg);
  // one path for all dark modules: small DOM even for a version-20 code
  let d = '';
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (qr.modules.get(y, x)) d += `M${x + margin} ${y + margin}h1v1h-1z`;
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(path);
  return svg;
}
