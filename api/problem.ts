// Owns the API's error responses: RFC 9457 problem+json, and the one table from error code to HTTP
// status. Internal error text is logged, never echoed to clients.
import type { Context } from 'hono';
import type { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DomainError, ErrorCode } from '../src/errors';
import type { AppEnv } from './env';
import { detailsVisibleTo } from './reservation-views';

const statusByCode: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION_FAILED: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  EVENT_NOT_FOUND: 404,
  UNKNOWN_SEATS: 422,
  SEATS_UNAVAILABLE: 409,
  BUYER_LIMIT_EXCEEDED: 409,
  SALES_NOT_OPEN: 409,
  SEATS_NOT_HELD: 409,
  RESERVATION_NOT_FOUND: 404,
  RESERVATION_EXPIRED: 409,
  RESERVATION_NOT_ACTIVE: 409,
  RESERVATION_CONFIRMED: 409,
  PAYMENT_DECLINED: 402,
  PAYMENT_FAILED: 402,
  PAYMENT_NOT_VERIFIED: 409,
  ORDER_NOT_FOUND: 404,
  ALREADY_REFUNDED: 409,
  REFUND_EXCEEDS_PAYMENT: 422,
  // The gateway accepted the refund request but the refund itself failed: support must act.
  REFUND_FAILED: 502,
  IDEMPOTENCY_KEY_REUSED: 422,
  WEBHOOK_SIGNATURE_INVALID: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  WAITING_ROOM_OFF: 409,
  SOLD_OUT: 409,
  TOO_EARLY: 429,
  // A flagged buyer or address, locked out for a while (Retry-After says how long).
  LOCKED_OUT: 429,
  // Forged or expired: 401. Another buyer's, or already used: 403 (see statusOf).
  INVALID_QUEUE_TOKEN: 401,
  INVALID_SOLUTION: 422,
  ADMISSION_REQUIRED: 403,
  ALREADY_ADMITTED: 409,
  SERVICE_UNAVAILABLE: 503,
  TIMEOUT: 504,
  // Hono's own refusals answer with Hono's status (see app.ts); 400 when there is none more specific.
  HTTP_ERROR: 400,
  INTERNAL: 500,
};

const titleByStatus: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [extension: string]: unknown;
}

export function problemBody(
  status: number,
  code: ErrorCode,
  detail: string,
  extensions: Record<string, unknown> = {},
) {
  return {
    type: `https://boxoffice.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: titleByStatus[status] ?? 'Error',
    status,
    detail,
    code,
    ...extensions,
  } satisfies Problem;
}

/** The problem response for `code`, at the code's status unless the HTTP layer has already chosen one. */
export function problem(
  c: Context,
  code: ErrorCode,
  detail: string,
  extensions: Record<string, unknown> = {},
  status: ContentfulStatusCode = statusByCode[code],
) {
  return c.body(JSON.stringify(problemBody(status, code, detail, extensions)), status, {
    'content-type': 'application/problem+json',
  });
}

/**
 * A domain error's status: its code's, except a queue token that is genuine but not the caller's to use
 * (another buyer's, or already consumed), which is forbidden rather than unauthenticated.
 */
function statusOf(error: DomainError): ContentfulStatusCode {
  if (
    error.code === 'INVALID_QUEUE_TOKEN' &&
    error.details.reason !== 'forged' &&
    error.details.reason !== 'expired'
  )
    return 403;
  return statusByCode[error.code];
}

/** A domain error's problem; a reservation among its details is shown as the principal may see it. */
export function domainProblem(c: Context<AppEnv>, error: DomainError) {
  // A refusal that says when to come back (rate limit, payments at their limit) says it in the header too.
  const retryAfter = error.details.retryAfterSeconds;
  if (typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter));
  return problem(
    c,
    error.code,
    error.message,
    detailsVisibleTo(c.get('principal'), error.details),
    statusOf(error),
  );
}

/** A client's text quoted in a detail, cut short: a 100 KB path or header is not echoed back whole. */
export function shortened(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** Hono's own refusals (a body that is not JSON, or not sent as JSON) as problems naming what is wrong. */
export function httpProblem(c: Context, error: HTTPException) {
  if (error.status === 415) {
    const contentType = c.req.header('content-type');
    return problem(
      c,
      'UNSUPPORTED_MEDIA_TYPE',
      `content-type ${contentType ? JSON.stringify(shortened(contentType)) : 'missing'}: send the body as application/json`,
    );
  }
  return problem(
    c,
    error.status === 400 ? 'VALIDATION_FAILED' : 'HTTP_ERROR',
    error.message,
    {},
    error.status,
  );
}
