// Owns how a patient buyer talks to the API while things break: every call retried with the same
// Idempotency-Key through outages (no answer, 5xx, 429, 202) within a deadline, every answer tallied by
// endpoint and status, and each call bounded in time so a hung server cannot hang the run.
import type { HttpAnswer, HttpClient, RequestOptions } from '../lib/load';
import { sleep } from '../lib/load';

export type Endpoint = 'hold' | 'confirm' | 'cancel' | 'read' | 'fixture';

/** Answers seen per endpoint and status (0: no answer), for the report. */
export type Tally = Record<Endpoint, Record<string, number>>;

export const newTally = (): Tally => ({ hold: {}, confirm: {}, cancel: {}, read: {}, fixture: {} });

const callTimeoutMs = 30_000;

export const bodyField = (answer: HttpAnswer, field: string): string | undefined => {
  const value = (answer.body as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' ? value : undefined;
};

export class BuyerClient {
  constructor(
    private readonly http: HttpClient,
    private readonly tally: Tally,
  ) {}

  /** One request; a network error or a hang past 30 s is status 0, never a throw. */
  async send(endpoint: Endpoint, method: string, path: string, options: RequestOptions) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HttpAnswer>((resolve) => {
      timer = setTimeout(
        () => resolve({ status: 0, body: { code: 'TIMEOUT' }, ms: callTimeoutMs, headers: {} }),
        callTimeoutMs,
      );
    });
    const answer = await Promise.race([
      this.http.call(method, path, options).catch(
        (error: unknown): HttpAnswer => ({
          status: 0,
          body: { code: (error as NodeJS.ErrnoException).code ?? 'NETWORK' },
          headers: {},
          ms: 0,
        }),
      ),
      timeout,
    ]);
    clearTimeout(timer);
    const counts = this.tally[endpoint];
    counts[answer.status] = (counts[answer.status] ?? 0) + 1;
    return answer;
  }

  /**
   * Sends until the answer is final: 202 (still working), 5xx, 429 and no answer are sent again with the
   * same key after a backoff, until `deadline` (epoch ms). Returns the last answer.
   */
  async untilFinal(
    endpoint: Endpoint,
    method: string,
    path: string,
    options: RequestOptions,
    deadline: number,
    isFinal: (answer: HttpAnswer) => boolean = (answer) => !transient(answer),
  ): Promise<HttpAnswer> {
    let backoff = 200;
    let internalErrors = 0;
    for (let tries = 0; tries < 200; tries++) {
      const answer = await this.send(endpoint, method, path, options);
      if (answer.status === 500) internalErrors++;
      // An outage (503, no answer) is waited out; a server that keeps failing (500) is given up on.
      if (isFinal(answer) || Date.now() >= deadline || internalErrors >= 8) return answer;
      const retryAfter = Number(
        (answer.body as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds,
      );
      const wait = answer.status === 429 && retryAfter > 0 ? Math.min(retryAfter * 1000, 3000) : backoff;
      await sleep(answer.status === 202 ? 100 : wait);
      backoff = Math.min(backoff * 2, 2000);
    }
    return this.send(endpoint, method, path, options);
  }
}

/** Worth sending again with the same key: still in progress, overloaded, down, or no answer. */
export function transient(answer: HttpAnswer): boolean {
  return answer.status === 0 || answer.status === 202 || answer.status === 429 || answer.status >= 500;
}
