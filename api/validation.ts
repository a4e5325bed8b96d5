// Owns how a request that fails its schema is answered: 422 VALIDATION_FAILED naming the bad fields.
import type { Hook } from '@hono/zod-openapi';
import { problem } from './problem';

const maxNamedIssues = 20;

// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route, whatever its input types.
export const validationHook: Hook<any, any, any, any> = (result, c) => {
  if (result.success) return;
  const where = result.target === 'json' ? 'body' : result.target;
  const { issues } = result.error;
  // A body of thousands of bad items is named by its first few problems, not echoed back whole.
  const errors = issues.slice(0, maxNamedIssues).map((issue) => ({
    path: issue.path.join('.') || `(${where})`,
    message: issue.message,
  }));
  const more = issues.length > errors.length ? `; and ${issues.length - errors.length} more` : '';
  return problem(
    c,
    'VALIDATION_FAILED',
    `invalid ${where}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}${more}`,
    { errors },
  );
};
