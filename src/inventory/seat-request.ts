// Owns what a seat request is: explicit seats or best available in one section, its bounds (shared by
// the API's schemas and the activities), and the check for callers that bypass the API.
import { DomainError } from '../errors';

/** Explicit seats, or best available in one section (adjacent = one row, consecutive positions). */
export type SeatRequest = { seatIds: string[] } | { section: string; quantity: number; adjacent?: boolean };

/** Bounds shared by the API's schemas and the activities' own checks. */
export const seatRequestLimits = { maxSeats: 50, maxSeatIdLength: 100, maxSectionIdLength: 32 } as const;

function invalid(message: string, path: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, { errors: [{ path, message }] });
}

/** Checks a seat request the way the API's schema does, for callers that bypass the API. */
export function checkSeatRequest(request: unknown): SeatRequest {
  if (typeof request !== 'object' || request === null) throw invalid('request must be an object', 'request');
  const { maxSeats, maxSeatIdLength, maxSectionIdLength } = seatRequestLimits;
  if ('seatIds' in request) {
    const { seatIds } = request as { seatIds: unknown };
    if (Object.keys(request).length !== 1) {
      throw invalid('seatIds cannot be combined with other fields', 'request');
    }
    if (!Array.isArray(seatIds) || seatIds.length < 1 || seatIds.length > maxSeats) {
      throw invalid(`seatIds must be a list of 1 to ${maxSeats} seat ids`, 'seatIds');
    }
    for (const id of seatIds) {
      if (typeof id !== 'string' || id.length < 1 || id.length > maxSeatIdLength) {
        throw invalid(`every seat id must be a string of 1 to ${maxSeatIdLength} characters`, 'seatIds');
      }
    }
    const duplicates = [...new Set(seatIds.filter((id, index) => seatIds.indexOf(id) !== index))];
    if (duplicates.length > 0) {
      throw new DomainError('VALIDATION_FAILED', `seatIds repeats ${duplicates.join(', ')}`, {
        errors: [{ path: 'seatIds', message: 'seat ids must be unique' }],
        duplicateSeatIds: duplicates,
      });
    }
    return { seatIds: seatIds as string[] };
  }
  const { section, quantity, adjacent, ...rest } = request as Record<string, unknown>;
  if (Object.keys(rest).length > 0)
    throw invalid(`unknown fields ${Object.keys(rest).join(', ')}`, 'request');
  if (typeof section !== 'string' || section.length < 1 || section.length > maxSectionIdLength) {
    throw invalid('section must be a section id', 'section');
  }
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > maxSeats) {
    throw invalid(`quantity must be an integer from 1 to ${maxSeats}`, 'quantity');
  }
  if (adjacent !== undefined && typeof adjacent !== 'boolean') {
    throw invalid('adjacent must be a boolean', 'adjacent');
  }
  return { section, quantity, adjacent: adjacent ?? false };
}
