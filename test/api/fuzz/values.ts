// Owns the API fuzzer's raw material: nasty strings and wrongly typed JSON values, the bytes a header or
// a URL can carry (and what the server decodes from them), and edits of a JSON body at a path.
import fc from 'fast-check';

export const nastyStrings = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000b',
      'evt_\u0000',
      '\u0007',
      '\u001b[2J',
      '\u007f',
      '\u0085',
      'a\tb',
      'a\nb',
    ),
  },
  fc.constantFrom(
    'é',
    'evt_é',
    '\u202eevil',
    'zero\u200bwidth',
    '\ufeffbom',
    '🎟️',
    '\ud800',
    'x\udfff',
    'ｅｖｔ',
    'İ',
  ),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '../../etc/passwd',
    "' or '1'='1",
    '"; drop table seats; --',
    `$${'{7*7}'}`,
    '<b>',
  ),
  fc.constantFrom(
    'null',
    'true',
    '[]',
    '{}',
    '-1',
    '0',
    '1.5',
    '1e309',
    'NaN',
    '%00',
    '%',
    '\\',
    '/',
    '?#&=',
    'a, b',
  ),
  fc
    .constantFrom(300, 5000, 100_000)
    .chain((n) => fc.constantFrom('a', 'é', '\u0000', '9').map((c) => c.repeat(n))),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** What the server reads from a percent-escaped value: decoded, or as sent when it does not decode. */
export function decodedAsServed(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Bytes a header value can carry (HTTP's field-value; the Fetch API rejects the rest). */
export function asHeaderValue(value: string): string {
  return [...value]
    .map((ch) => (ch === '\t' || (ch >= ' ' && ch <= '~') || (ch >= '\u0080' && ch <= '\u00ff') ? ch : '~'))
    .join('')
    .replace(/^[\t ]+|[\t ]+$/g, '');
}

export const wrongTypes = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e308, -0, [], {}, [null], { '': '' }),
  fc.integer({ min: 1, max: 1000 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
  fc.integer({ min: 1, max: 200 }).map((n) => Array.from({ length: n * 50 }, (_, i) => `${i}`)),
  nastyStrings,
);

export type JsonPath = (string | number)[];
export const removed = Symbol('removed');

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every node below the root of a JSON value, as paths. */
export function pathsOf(value: unknown, prefix: JsonPath = []): JsonPath[] {
  const children: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : isObject(value)
      ? Object.entries(value)
      : [];
  return children.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

export function valueAt(value: unknown, path: JsonPath): unknown {
  return path.reduce<unknown>(
    (node, key) => (node as Record<string | number, unknown> | undefined)?.[key],
    value,
  );
}

/** Whether `path` can be set in `json`: an earlier mutation may have replaced its parent by a scalar. */
export function reaches(json: unknown, path: JsonPath): boolean {
  const parent = valueAt(json, path.slice(0, -1));
  return typeof parent === 'object' && parent !== null;
}

/** A copy of `json` with the node at `path` set to `value` (or removed); the value's own keys survive, __proto__ too. */
export function withValueAt(json: unknown, path: JsonPath, value: unknown): unknown {
  const copy = structuredClone(json);
  if (!reaches(copy, path)) return copy;
  const parent = valueAt(copy, path.slice(0, -1));
  const key = path.at(-1) as string | number;
  if (value === removed) delete (parent as Record<string | number, unknown>)[key];
  else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** encodeURIComponent, but a lone surrogate (which it refuses) is sent as the bytes WTF-8 gives it. */
export function percentEncoded(value: string): string {
  return [...value]
    .map((ch) => {
      const code = ch.charCodeAt(0);
      if (ch.length > 1 || code < 0xd800 || code > 0xdfff) return encodeURIComponent(ch);
      return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    })
    .join('');
}
