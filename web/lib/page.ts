// Owns what every page's script starts from: the data the server rendered into the page, an element by
// id that must exist, and the polite live region that tells screen-reader users what just changed.

/** The page's data (the server's `#page-data` JSON). */
export function pageData<T>(): T {
  const element = document.getElementById('page-data');
  if (!element?.textContent) throw new Error('this page carries no #page-data');
  return JSON.parse(element.textContent) as T;
}

/** The element with `id`, which the server-rendered page always has. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Says `message` to screen-reader users, once, without moving their focus. */
export function announce(message: string): void {
  const region = byId('announcer');
  // Emptied first: the same message twice in a row is announced twice.
  region.textContent = '';
  requestAnimationFrame(() => {
    region.textContent = message;
  });
}

/** An element with text, for building the pages' dynamic parts without HTML strings. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attributes: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}
