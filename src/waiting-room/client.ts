// Owns the waiting room's client: join an event's queue, solve each attempt's proof of work, respect the
// backoff the server gives, attempt, and return the admission token. Isomorphic (fetch and WebCrypto), so
// the benchmark, the tests and the browser's waiting-room page share it.
import { type Sha256, solve } from './proof-of-work';

export interface QueuePlace {
  queueToken: string;
  retryAfterSeconds: number;
  estimatedWaitSeconds: number;
  challenge: { algorithm: 'sha256'; difficulty: number; challenge: string };
}

export type AdmissionAnswer =
  | { admitted: true; admissionToken: string; expiresAt: string }
  | ({ admitted: false } & QueuePlace);

export interface Admission {
  admissionToken: string;
  expiresAt: string;
  /** Admission attempts it took. */
  attempts: number;
}

export interface QueueClientOptions {
  /** The API's origin, e.g. http://127.0.0.1:3000 ('' in a page served by the API). */
  baseUrl: string;
  eventId: string;
  /** The buyer's bearer token (without "Bearer "). */
  token: string;
  fetch?: typeof fetch;
  /** SHA-256 for the proof of work; WebCrypto's by default. */
  sha256?: Sha256;
  /** Told of every answer while waiting: for a page's estimated wait. */
  onWaiting?: (place: QueuePlace, attempts: number) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

/** A refusal the queue answered with: its problem's code, status and any Retry-After. */
export class QueueError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'QueueError';
  }
}

export const webCryptoSha256: Sha256 = async (data) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/** Refusals worth waiting out (Retry-After) rather than giving up on. */
const transient = new Set(['RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'TOO_EARLY']);

export function createQueueClient(options: QueueClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const sha256 = options.sha256 ?? webCryptoSha256;
  const sleep = options.sleep ?? abortableSleep;
  const base = `${options.baseUrl}/v1/events/${encodeURIComponent(options.eventId)}/queue`;

  async function post<T>(path: string, body: unknown): Promise<T> {
    const response = await doFetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: options.signal,
    });
    const answer = (await response.json().catch(() => ({}))) as { code?: unknown; detail?: unknown };
    if (response.ok) return answer as T;
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new QueueError(
      typeof answer.code === 'string' ? answer.code : `HTTP_${response.status}`,
      response.status,
      typeof answer.detail === 'string' ? answer.detail : response.statusText,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }

  return {
    /** A place in the queue (joining again with `queueToken` keeps it). */
    join(queueToken?: string): Promise<QueuePlace> {
      return post<QueuePlace>('', queueToken ? { queueToken } : {});
    },

    /** One attempt with a place: solves its challenge first. */
    async attempt(place: QueuePlace): Promise<AdmissionAnswer> {
      const solution = await solve(sha256, place.challenge.challenge, place.challenge.difficulty);
      return post<AdmissionAnswer>('/admission', { queueToken: place.queueToken, solution });
    },

    /**
     * Joins, then waits as told and attempts until admitted. Throws a QueueError for SOLD_OUT,
     * WAITING_ROOM_OFF and the other final refusals; rides out rate limits and overload.
     */
    async admission(): Promise<Admission> {
      let place = await this.join();
      for (let attempts = 1; ; attempts++) {
        options.onWaiting?.(place, attempts - 1);
        await sleep(place.retryAfterSeconds * 1000, options.signal);
        let answer: AdmissionAnswer;
        try {
          answer = await this.attempt(place);
        } catch (error) {
          // A refusal that says "later", or no answer at all (the network; fetch rejects with a TypeError).
          const later = error instanceof QueueError ? transient.has(error.code) : error instanceof TypeError;
          if (!later || options.signal?.aborted) throw error;
          await sleep(
            (error instanceof QueueError ? (error.retryAfterSeconds ?? 1) : 1) * 1000,
            options.signal,
          );
          continue;
        }
        if (answer.admitted)
          return { admissionToken: answer.admissionToken, expiresAt: answer.expiresAt, attempts };
        place = answer;
      }
    },
  };
}

export type QueueClient = ReturnType<typeof createQueueClient>;
