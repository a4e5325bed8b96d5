// Owns the request and response schemas of the waiting room: joining the queue, an admission attempt,
// the room's status, and support's list of flagged buyers and addresses.
import { z } from '@hono/zod-openapi';
import { maxSolutionLength } from '../../src/waiting-room/proof-of-work';
import { onsalePhases } from '../../src/waiting-room/room-state';
import { eventId } from './ids';

/** A signed token is a few hundred characters; anything much longer is not one of ours. */
const signedToken = (description: string) => z.string().min(1).max(2048).openapi({ description });

const queueToken = signedToken('Your place in the queue: send it back with each attempt.');

export const ChallengeSchema = z
  .object({
    algorithm: z.literal('sha256'),
    difficulty: z
      .number()
      .int()
      .openapi({ description: 'Leading zero bits sha256(challenge + solution) needs.' }),
    challenge: z.string(),
  })
  .openapi('Challenge', { description: 'Hashcash proof of work asked of the next admission attempt.' });

const placeFields = {
  queueToken,
  retryAfterSeconds: z
    .number()
    .int()
    .openapi({ description: 'Attempt no sooner (earlier is 429 TOO_EARLY).' }),
  estimatedWaitSeconds: z.number().int(),
  challenge: ChallengeSchema,
};

export const QueueJoinSchema = z
  .object({ queueToken: queueToken.optional() })
  .strict()
  .openapi('QueueJoin', { description: 'Optional: a queue token you hold, which joining again keeps.' });

export const PlaceSchema = z.object(placeFields).openapi('QueuePlace');

export const AdmissionAttemptSchema = z
  .object({
    queueToken,
    solution: z
      .string()
      .min(1)
      .max(maxSolutionLength)
      .openapi({ description: "Solves the token's challenge (see QueuePlace.challenge)." }),
  })
  .strict()
  .openapi('AdmissionAttempt');

export const AdmissionAnswerSchema = z
  .union([
    z
      .object({
        admitted: z.literal(true),
        admissionToken: signedToken(
          'Send as header Admission-Token on POST /v1/events/{eventId}/reservations.',
        ),
        expiresAt: z.string(),
      })
      .openapi('Admitted'),
    z
      .object({ admitted: z.literal(false), ...placeFields })
      .openapi('NotYetAdmitted', { description: 'Still waiting: attempt again after retryAfterSeconds.' }),
  ])
  .openapi('AdmissionAnswer');

export const QueueStatusSchema = z
  .object({
    enabled: z.boolean(),
    phase: z.enum(onsalePhases).nullable(),
    open: z.boolean(),
    soldOut: z.boolean(),
    activeSessions: z.number().int(),
    maxActiveSessions: z.number().int(),
    tau: z.number().nullable().openapi({ description: "Seconds: the room's pace (smaller admits sooner)." }),
    admittedTotal: z.number().int(),
  })
  .openapi('QueueStatus');

export const AdmissionTokenHeaders = z.object({
  'admission-token': signedToken(
    'The admission the waiting room gave you; required while the room is enabled.',
  )
    .optional()
    .openapi({ param: { name: 'admission-token', in: 'header' } }),
});

export const FlagsQuery = z.object({ eventId: eventId.openapi({ param: { name: 'eventId', in: 'query' } }) });

export const FlagListSchema = z
  .object({
    items: z.array(
      z.object({
        subject: z
          .string()
          .openapi({ example: 'buyer:alice', description: '`buyer:<id>` or `ip:<address>`' }),
        count: z.number().int(),
        reasons: z.record(z.string(), z.number().int()),
        lastAt: z.string(),
        lockedUntil: z.string().nullable(),
      }),
    ),
  })
  .openapi('FlagList');

export const SampleListSchema = z
  .object({
    items: z.array(
      z.object({
        kind: z.enum(['join', 'attempt']),
        buyerId: z.string(),
        ip: z.string(),
        at: z.string(),
        outcome: z.string(),
      }),
    ),
  })
  .openapi('QueueSampleList');
