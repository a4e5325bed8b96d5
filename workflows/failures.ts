// Owns the workflow side of the error vocabulary: reading the domain code out of an activity's failure,
// and failing an update with one. Deterministic and bundle-safe (no I/O, no Node built-ins).
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { type ErrorCode, isErrorCode } from '../src/errors';

/** A business rejection that reached the workflow: its code, message and details (e.g. unavailableSeatIds). */
export interface DomainFailure {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

/** The business rejection inside an activity's failure; undefined for anything else (bugs, outages). */
export function domainFailureOf(error: unknown): DomainFailure | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (!(cause instanceof ApplicationFailure) || !isErrorCode(cause.type)) return undefined;
  const [details] = cause.details ?? [];
  const record =
    details && typeof details === 'object' && !Array.isArray(details)
      ? (details as Record<string, unknown>)
      : {};
  return { code: cause.type, message: cause.message, details: record };
}

/** The domain code of an activity's failure, if it is a business rejection. */
export function domainCodeOf(error: unknown): ErrorCode | undefined {
  return domainFailureOf(error)?.code;
}

/** The most specific message of a failure, for reasons and logs. */
export function failureMessage(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  return cause instanceof Error ? cause.message : String(error);
}

/** Fails an update (or the workflow) with a domain code the API translates back; details travel with it. */
export function businessFailure(code: ErrorCode, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: code,
    message,
    nonRetryable: true,
    details: details === undefined ? [] : [details],
  });
}
