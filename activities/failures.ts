// Owns the one place where domain errors become Temporal failures: a DomainError thrown by an activity
// becomes a non-retryable ApplicationFailure whose type is the error code; anything else stays a plain
// error for the retry policy.
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { DomainError } from '../src/errors';

export function toTemporalFailure(error: unknown): unknown {
  if (error instanceof DomainError) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.code,
      nonRetryable: true,
      // An expected business outcome (seats taken, card declined): logged at debug, not as a failure.
      category: ApplicationFailureCategory.BENIGN,
      details: [error.details],
    });
  }
  return error;
}

// biome-ignore lint/suspicious/noExplicitAny: activities take and return anything serialisable.
type AsyncFunction = (...args: any[]) => Promise<unknown>;

/** Wraps every activity so business rejections reach the workflow as typed, non-retryable failures. */
export function withDomainFailures<T extends Record<string, AsyncFunction>>(activities: T): T {
  const wrapped: Record<string, AsyncFunction> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw toTemporalFailure(error);
      }
    };
  }
  return wrapped as T;
}
