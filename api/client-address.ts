// Owns which address a request comes from: the socket's peer, as @hono/node-server reports it; requests
// made in-process (app.request in tests) have none and count as "unknown".
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
