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

/** The `responses` entry for an error status, e.g. `...problemResponse(404, 'EVENT_NOT_FOUND')`. */
export function problemResponse(status: number, description: string) {
  return {
    [status]: { description, content: { 'application/problem+json': { schema: ProblemSchema } } },
  } as const;
}
