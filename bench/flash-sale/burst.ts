// Owns the burst phase: --burst-buyers holds sent at the same instant for --burst-seats seats (200 for 40
// by default), none waiting for another. What a buyer sees when a sale opens: every answer should be a
// 201 or a 409 within the API's wait budget, never a 202 "come back later". Winners then cancel, so the
// phases after start from a quiet checkout.
import { mintToken } from '../../api/auth';
import { latency } from '../lib/stats';
import { attempt, createEvent, hold, seatIdsOf } from './buyers';
import { log, type Stack } from './stack';

export async function burstPhase(stack: Stack, organizer: string) {
  const { params, run, http } = stack;
  const seats = params.burstSeats;
  const eventId = await createEvent(http, organizer, seats, `Burst ${run}`);
  const seatIds = seatIdsOf(seats);
  const buyers = await Promise.all(
    Array.from({ length: params.burstBuyers }, async (_, i) => ({
      index: i,
      token: await mintToken(stack.jwtSecret, `burst-${run}-${i}`, 'buyer'),
      seatId: seatIds[i % seats] as string,
    })),
  );
  log(`burst: ${buyers.length} holds at once for ${seats} seats`);
  const holds = await Promise.all(
    buyers.map((buyer) => hold(http, buyer.token, eventId, buyer.seatId, `burst-${buyer.index}:hold`)),
  );
  const firstAnswers: Record<string, number> = {};
  for (const h of holds) firstAnswers[String(h.firstStatus)] = (firstAnswers[String(h.firstStatus)] ?? 0) + 1;
  const decided = holds.filter((h) => h.firstStatus === 201 || h.firstStatus === 409);
  const winners = holds.filter((h) => h.status === 201);
  await Promise.all(
    holds.map((h, i) =>
      h.status === 201
        ? attempt(http, 'DELETE', `/v1/reservations/${h.reservationId}`, { token: buyers[i]?.token ?? '' })
        : undefined,
    ),
  );
  const burst = {
    seats,
    buyers: buyers.length,
    decidedAtOnce: decided.length,
    firstAnswers,
    sold: winners.length,
    latencyMs: latency(holds.map((h) => h.ms)),
  };
  log(
    `burst: ${burst.decidedAtOnce} of ${burst.buyers} answered 201/409 at once, p99 ${burst.latencyMs.p99} ms`,
  );
  return burst;
}
