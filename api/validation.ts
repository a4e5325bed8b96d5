// Owns how a request that fails its schema is answered: 422 VALIDATION_FAILED naming every bad field.
import type { Hook } from '@hono/zod-openapi';
import { problem } from './problem';

// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route, whatever its input types.
export const validationHook: Hook<any, any, any, any> = (result, c) => {
  if (result.success) return;
  const errors = result.error.issues.map((issue) => ({
    path: issue.path.join('.') || '(body)',
    message: issue.message,
  }));
  const where = result.target === 'json' ? 'body' : result.target;
  return problem(
    c,
    'VALIDATION_FAILED',
    `invalid ${where}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
    {
      errors,
    },
  );
};
