// Owns how reads are cached by clients and CDNs: their Cache-Control, their ETag, and the 304 Not
// Modified (no body) that answers an If-None-Match naming the current ETag (RFC 9110 13.1.2: weak
// comparison, `*`, lists).
import { createHash } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { MapVersion } from '../src/inventory/seat-map';

/**
 * A seat map or its counts: changes by the second in an onsale, and is only a guide (a hold is judged by
 * Postgres). A CDN serves one copy per second to everyone (max-age=1) and, for a few seconds more, answers
 * at once from the copy it has while it fetches the next (stale-while-revalidate), so a rush of readers
 * costs the origin one request per second per URL rather than one per reader.
 */
export const seatMapCaching = 'public, max-age=1, stale-while-revalidate=5';

/**
 * An event: changes only when its organizer edits it (PATCH). Ten seconds of staleness is invisible to a
 * buyer (the hold itself checks sales_open_at in Postgres), and saves the origin every read in between.
 */
export const eventCaching = 'public, max-age=10, stale-while-revalidate=30';

/**
 * The ETag of a seat-map state. Weak: it names the state shown, not the bytes (a page of it, one section
 * of it, or its counts are each a resource of their own URL with the same state).
 */
export function seatMapETag(version: MapVersion): string {
  return `W/"${version.seats}.${version.lapsedHolds}"`;
}

/**
 * The ETag of a JSON body: a digest of the bytes themselves, so any change of the resource (an organizer's
 * edit of any field) changes it, and nothing else does.
 */
export function digestETag(body: string): string {
  return `W/"${createHash('sha1').update(body).digest('base64url')}"`;
}

/**
 * Whether an If-None-Match header names `etag`: `*`, or any entity-tag of its list compared weakly (the
 * opaque quoted part alone, `W/` or not). What is not an entity-tag in the list names nothing.
 */
export function ifNoneMatchNames(header: string | undefined, etag: string | undefined): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  if (etag === undefined) return false;
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  let from = 0;
  while (from < header.length) {
    const open = header.indexOf('"', from);
    if (open === -1) return false;
    const close = header.indexOf('"', open + 1);
    if (close === -1) return false;
    if (close - open + 1 === opaque.length && header.startsWith(opaque, open)) return true;
    from = close + 1;
  }
  return false;
}

/**
 * Sets the read's Cache-Control and ETag (none when the version is unknown: served from Postgres with
 * Redis down), and tells whether the client already has it: then the answer is 304 with no body. Called
 * once the resource is found: `*` names any current representation.
 * @example if (cachedRead(c, seatMapCaching, seatMapETag(view.version))) return c.body(null, 304);
 */
export function cachedRead(c: Context, cacheControl: string, etag: string | undefined): boolean {
  c.header('Cache-Control', cacheControl);
  if (etag !== undefined) c.header('ETag', etag);
  return ifNoneMatchNames(c.req.header('if-none-match'), etag);
}

const entityTag = '(W/)?"[\\x21\\x23-\\x7e]*"';
// An empty list names nothing, and is allowed (HTTP's list syntax).
const ifNoneMatchPattern = new RegExp(`^[ \\t]*(\\*|(${entityTag}([ \\t]*,[ \\t]*${entityTag})*)?)[ \\t]*$`);

/**
 * The If-None-Match request header of a cacheable read: `*` or a list of entity-tags of visible ASCII
 * (every ETag this API sends is one); anything else is a 422 naming it, not silently no match.
 */
export const IfNoneMatchHeaders = z.object({
  'if-none-match': z
    .string()
    .max(4096, 'must be at most 4096 characters')
    .regex(ifNoneMatchPattern, 'must be * or a comma-separated list of entity-tags ("..." or W/"...")')
    .optional()
    .openapi({
      param: { name: 'if-none-match', in: 'header' },
      description: 'ETags of copies the client holds (`*` for any): 304 with no body when one is current',
      example: 'W/"1204.0"',
    }),
});

const cachingHeaders = {
  ETag: { description: 'The version of what is shown (weak)', schema: { type: 'string' as const } },
  'Cache-Control': {
    description: 'How long a client or a CDN may reuse the answer',
    schema: { type: 'string' as const },
  },
};

/** A cacheable read's responses: the 200 gets ETag and Cache-Control, and there is a 304 with no body. */
export function cacheableResponses<R extends { description: string; content: object }>(ok: R) {
  return {
    200: { ...ok, headers: cachingHeaders },
    304: {
      description: 'Not Modified: If-None-Match names the current ETag (no body)',
      headers: cachingHeaders,
    },
  };
}
