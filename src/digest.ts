// Owns the one hash behind derived ids and request fingerprints: SHA-256, URL-safe base64, so the same
// input always names the same workflow and an id fits in a URL path.
import { createHash } from 'node:crypto';

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
