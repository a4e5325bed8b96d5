// Owns the error vocabulary: every code a client can receive. A business rejection's code is also what
// activities turn into a non-retryable Temporal failure (activities/failures.ts); the API maps each code
// to its HTTP status (api/problem.ts). Pure module: the workflow bundle imports it too.

export const errorCodes = [
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'EVENT_NOT_FOUND',
  'UNKNOWN_SEATS',
  'SEATS_UNAVAILABLE',
  'BUYER_LIMIT_EXCEEDED',
  'SALES_NOT_OPEN',
  'SEATS_NOT_HELD',
  'RESERVATION_NOT_FOUND',
  'RESERVATION_EXPIRED',
  'RESERVATION_NOT_ACTIVE',
  'RESERVATION_CONFIRMED',
  'PAYMENT_DECLINED',
  'PAYMENT_FAILED',
  'PAYMENT_NOT_VERIFIED',
  'ORDER_NOT_FOUND',
  'ALREADY_REFUNDED',
  'REFUND_EXCEEDS_PAYMENT',
  'REFUND_FAILED',
  'IDEMPOTENCY_KEY_REUSED',
  'WEBHOOK_SIGNATURE_INVALID',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  // The waiting room (DESIGN.md, "Flash-sale front door").
  'WAITING_ROOM_OFF',
  'SOLD_OUT',
  'TOO_EARLY',
  'LOCKED_OUT',
  'INVALID_QUEUE_TOKEN',
  'INVALID_SOLUTION',
  'ADMISSION_REQUIRED',
  'ALREADY_ADMITTED',
  'SERVICE_UNAVAILABLE',
  'TIMEOUT',
  // Not business rejections: the HTTP layer refused the request, or something broke (logged, not echoed).
  'HTTP_ERROR',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (errorCodes as readonly string[]).includes(value);
}

/** A business rejection: expected, explainable to the user, never retried. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
