// Owns the messages between the event page and its waiting-room worker (queue-worker.ts).

export interface ToQueueWorker {
  eventId: string;
  /** The buyer's bearer token. */
  token: string;
}

export type FromQueueWorker =
  | { type: 'waiting'; estimatedWaitSeconds: number; retryAfterSeconds: number; attempts: number }
  | { type: 'admitted'; admissionToken: string; expiresAt: string }
  | { type: 'refused'; code: string; message: string; retryAfterSeconds?: number };
