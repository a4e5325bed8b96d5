// Owns the translation of Temporal client errors into domain errors, so routes never see SDK types:
// a failed update's ApplicationFailure type is our error code; a missing workflow is a missing reservation.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, isErrorCode } from '../src/errors';

/** Returns the domain error inside a Temporal failure, or undefined when it is not a business rejection. */
export function domainErrorFrom(error: unknown): DomainError | undefined {
  let cause: unknown = error;
  if (error instanceof WorkflowUpdateFailedError) cause = error.cause;
  if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
    const [first] = cause.details ?? [];
    const details =
      first && typeof first === 'object' && !Array.isArray(first) ? (first as Record<string, unknown>) : {};
    // A failed confirm carries the reservation view: expose it under `reservation`, not as loose fields.
    const extensions = 'status' in details && 'seats' in details ? { reservation: details } : details;
    return new DomainError(cause.type, cause.message, extensions);
  }
  if (error instanceof WorkflowNotFoundError) {
    return new DomainError('RESERVATION_NOT_FOUND', 'no such reservation');
  }
  return undefined;
}

/** Rethrows a Temporal failure as a DomainError where it is one; otherwise rethrows it unchanged. */
export function rethrowAsDomainError(error: unknown): never {
  throw domainErrorFrom(error) ?? error;
}
