/**
 * The app's chrome: the status line every action reports to, the one-action-
 * at-a-time runner (`act`), and the screen switch (`show`).
 */
import { isSsiotError } from '../../protocols/errors.ts';
import { append, h, replace } from './dom.ts';
import { hasSession } from './session.ts';

export const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export function notice(text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
  const n = $('notice');
  n.textContent = text;
  n.dataset.kind = kind;
  n.hidden = text.length === 0;
}

export function describeError(e: unknown): string {
  if (isSsiotError(e)) {
    const problem = (e as { problem?: string }).problem;
    return `${e.message} (${e.code}${problem ? `, ${problem}` : ''})`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Runs one user action: a progress notice, then ok or the error's code; buttons are disabled meanwhile. */
export async function act<T>(label: string, fn: () => Promise<T>, okText?: (r: T) => string): Promise<T | undefined> {
  notice(`${label}…`);
  document.body.dataset.busy = 'true';
  const buttons = Array.from(document.querySelectorAll<HTMLButtonElement>('main button:not([disabled])'));
  for (const b of buttons) b.disabled = true;
  try {
    const r = await fn();
    notice(okText ? okText(r) : `${label}: done`, 'ok');
    return r;
  } catch (e) {
    notice(`${label} failed: ${describeError(e)}`, 'error');
    return undefined;
  } finally {
    for (const b of buttons) b.disabled = false;
    delete document.body.dataset.busy;
  }
}

export function show(title: string, back: (() => void) | undefined, ...content: (Node | string)[]): void {
  $('title').textContent = title;
  const backButton = $<HTMLButtonElement>('back');
  backButton.hidden = back === undefined;
  backButton.onclick = back ? () => back() : null;
  $('lock').hidden = !hasSession();
  replace($('view'), ...content);
  window.scrollTo(0, 0);
}

/** A card with a heading (one per feature on the device page). */
export function section(title: string, id: string, ...content: (Node | string | null)[]): HTMLElement {
  const el = h('section', { class: 'card', id });
  append(el, h('h2', {}, title), ...content);
  return el;
}
