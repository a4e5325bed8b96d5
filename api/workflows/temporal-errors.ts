// Owns the one translation of Temporal client failures into domain errors, so neither the workflow
// clients nor the routes branch on SDK error types: a failed update's or workflow's ApplicationFailure
// type is our error code; a workflow Temporal does not have is a missing reservation or refund.
import {
  isGrpcServiceError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, isErrorCode } from '../../src/errors';

/** What a workflow is about: names its missing-workflow error and the view its failures carry. */
export type Subject = 'reservation' | 'refund';

/** Returns the domain error inside a Temporal failure, or undefined when it is not a business rejection. */
export function domainErrorFrom(error: unknown, subject: Subject): DomainError | undefined {
  const cause =
    error instanceof WorkflowUpdateFailedError || error instanceof WorkflowFailedError ? error.cause : error;
  if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
    const [first] = cause.details ?? [];
    const details =
      first && typeof first === 'object' && !Array.isArray(first) ? (first as Record<string, unknown>) : {};
    // A failure that carries the reservation's or refund's view exposes it under that name, not as loose fields.
    const extensions = 'status' in details ? { [subject]: details } : details;
    return new DomainError(cause.type, cause.message, extensions);
  }
  if (error instanceof WorkflowNotFoundError) {
    return new DomainError(
      subject === 'reservation' ? 'RESERVATION_NOT_FOUND' : 'NOT_FOUND',
      `no such ${subject}`,
    );
  }
  return undefined;
}

/** Rethrows a Temporal failure as a DomainError where it is one; otherwise rethrows it unchanged. */
export function rethrowAsDomainError(subject: Subject): (error: unknown) => never {
  return (error) => {
    throw domainErrorFrom(error, subject) ?? error;
  };
}

/**
 * A query of a workflow that closed before any workflow task ran (terminated right after its start) has
 * nothing to answer with: Temporal refuses it as FAILED_PRECONDITION.
 */
function closedBeforeFirstTask(error: unknown): boolean {
  const cause = (error as { cause?: unknown })?.cause;
  return isGrpcServiceError(cause) && cause.code === grpcFailedPrecondition;
}

const grpcFailedPrecondition = 9;

/** A workflow's answer to a query, or undefined when it has none: gone, or closed before it ever ran. */
export function unlessUnanswerable<T>(query: Promise<T>): Promise<T | undefined> {
  return unlessMissing(query).catch((error: unknown) => {
    if (closedBeforeFirstTask(error)) return undefined;
    throw error;
  });
}

/** The answer of a call to a workflow, or undefined when Temporal has no such workflow (any more). */
export function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  return call.catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  });
}
