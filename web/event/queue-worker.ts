// Owns the waiting room's Web Worker: it runs the queue client (src/waiting-room/client.ts: join, solve
// each attempt's proof of work, wait out the backoff, attempt) off the page's main thread, so hashing
// never freezes the page, and reports each answer to it.
import { createQueueClient, QueueError } from '../../src/waiting-room/client';
import type { FromQueueWorker, ToQueueWorker } from './queue-messages';

const report = (message: FromQueueWorker) => self.postMessage(message);

self.addEventListener('message', async (event: MessageEvent<ToQueueWorker>) => {
  const { eventId, token } = event.data;
  // '' is this origin: the worker's fetch resolves /v1/... against the page's server.
  const client = createQueueClient({
    baseUrl: '',
    eventId,
    token,
    onWaiting: (place, attempts) =>
      report({
        type: 'waiting',
        estimatedWaitSeconds: place.estimatedWaitSeconds,
        retryAfterSeconds: place.retryAfterSeconds,
        attempts,
      }),
  });
  try {
    const admission = await client.admission();
    report({ type: 'admitted', admissionToken: admission.admissionToken, expiresAt: admission.expiresAt });
  } catch (error) {
    report(
      error instanceof QueueError
        ? {
            type: 'refused',
            code: error.code,
            message: error.message,
            retryAfterSeconds: error.retryAfterSeconds,
          }
        : { type: 'refused', code: 'NETWORK', message: String(error) },
    );
  }
});
