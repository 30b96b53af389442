/**
 * Small DOM helpers for the console: typed lookups of the page's elements, element building
 * without innerHTML (text is always set as text), and bounded lists.
 */

/** The element with this id, of the expected class; throws when the page does not have it. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`console page: #${id} missing or not a ${type.name}`);
  return el;
}

type Child = Node | string | null | undefined | false;

/** Builds an element; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Readonly<Record<string, string>> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

/** Adds an item at the top of a list and drops the oldest past `max` (every list in the page is bounded). */
export function prepend(list: HTMLElement, item: HTMLElement, max: number): void {
  list.prepend(item);
  while (list.childElementCount > max) list.lastElementChild?.remove();
}

/** hh:mm:ss.mmm of now. */
export function clockTime(date = new Date()): string {
  return date.toISOString().slice(11, 23);
}

/** Sets a status line's text and its tone. */
export function setStatus(el: HTMLElement, text: string, tone: 'ok' | 'bad' | '' = ''): void {
  el.textContent = text;
  el.classList.toggle('ok', tone === 'ok');
  el.classList.toggle('bad', tone === 'bad');
}

/** A short JSON text of a value (for lists); the full text is in the frame log. */
export function shortJson(value: unknown, max = 200): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
