// Owns the OpenAPI description of problem+json error responses, shared by every route.
import { z } from '@hono/zod-openapi';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: 'VALIDATION_FAILED' }),
  })
  .catchall(z.unknown())
  .openapi('Problem');

/** A route's error responses by status, e.g. `...problems({ 404: 'EVENT_NOT_FOUND', 429: 'RATE_LIMITED' })`. */
export function problems(descriptions: Record<number, string>) {
  return Object.fromEntries(
    Object.entries(descriptions).map(([status, description]) => [
      status,
      { description, content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  );
}
