// Owns the OpenAPI parts every route repeats: a required JSON body, a JSON response, and the
// Idempotency-Key header, so a route names its schemas and nothing else.
import { z } from '@hono/zod-openapi';
import { idempotencyKey } from './ids';

/** A required `application/json` request body validated by `schema`. */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return { required: true, content: { 'application/json': { schema } } } as const;
}

/** A `responses` entry answering `application/json` shaped by `schema`. */
export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** The Idempotency-Key header: the same key returns the same outcome. */
export function idempotencyKeyHeaders(example: string) {
  return z.object({
    // The parameter's name must match the header's key as the validator reads it (lower case).
    'idempotency-key': idempotencyKey.openapi({ param: { name: 'idempotency-key', in: 'header' }, example }),
  });
}
