// Owns how the pages call the JSON API: same origin, the signed-in user's bearer token, and refusals
// turned into an ApiError carrying the problem's code (application/problem+json) and its details.
import { currentSession } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    // biome-ignore lint/suspicious/noExplicitAny: a problem's extra members depend on its code.
    readonly problem: Record<string, any>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/** Calls `path` as the signed-in user; resolves for 2xx, throws an ApiError otherwise. */
export async function api<T>(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<ApiAnswer<T>> {
  const token = currentSession()?.token;
  const response = await fetch(path, {
    method,
    headers: {
      accept: 'application/json',
      ...(token && { authorization: `Bearer ${token}` }),
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const problem = (body ?? {}) as Record<string, unknown>;
    throw new ApiError(
      response.status,
      typeof problem.code === 'string' ? problem.code : `HTTP_${response.status}`,
      typeof problem.detail === 'string' ? problem.detail : response.statusText,
      problem,
    );
  }
  return { status: response.status, body: body as T };
}

/** A fresh Idempotency-Key: one per user action, so a retried request of the same action repeats it. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}
