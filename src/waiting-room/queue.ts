// Owns the waiting room's two buyer steps (DESIGN.md, "Flash-sale front door"): joining the queue, and
// an admission attempt; and the check a hold makes of its admission. Stateless per waiting buyer: the
// queue token carries the place, Redis only the sessions, admissions and abuse flags.
import { hash, randomBytes } from 'node:crypto';
import { DomainError } from '../errors';
import type { WaitingRoomSettings } from '../inventory/events';
import type { AbuseRecords, FlagSubject } from './abuse';
import { abusePolicy } from './abuse';
import { estimatedWaitSeconds, isAdmitted, lotteryBytes, luck } from './lottery';
import { solves } from './proof-of-work';
import type { OnsalePhase, RoomState } from './room-state';
import type { KeyRing } from './signed-tokens';
import type { RoomStore } from './store';
import {
  type QueueTokenPayload,
  readAdmissionToken,
  readQueueToken,
  signAdmissionToken,
  signQueueToken,
} from './tokens';

/** What the waiting room needs of an event. */
export interface RoomEvent {
  id: string;
  salesOpenAt: string | null;
  waitingRoom: WaitingRoomSettings | null;
}

export interface Challenge {
  algorithm: 'sha256';
  difficulty: number;
  challenge: string;
}

export interface Place {
  queueToken: string;
  retryAfterSeconds: number;
  estimatedWaitSeconds: number;
  challenge: Challenge;
}

export type AttemptAnswer =
  | { admitted: true; admissionToken: string; expiresAt: string }
  | ({ admitted: false } & Place);

export interface Buyer {
  buyerId: string;
  /** The client's address (the trusted-proxy rule applied), for flags and samples. */
  ip: string;
  /**
   * Whether the address may be flagged: not for one the rate limits exempt too (RATE_LIMIT_IP_ALLOWLIST,
   * loopback in development), where a whole load test or office shares one address.
   */
  flaggable: boolean;
}

/** How long a queue token stays valid without an attempt that renews it. */
const queueTokenSeconds = 30 * 60;
/** Joins before the sale opens spread their first attempts over this many seconds after it opens. */
const openingSpreadSeconds = 2;
/**
 * Backoff bounds while the room is open, as a share of tau; and while paused or full. The longest is what
 * keeps a large crowd's polling cheap: 10,000 waiting buyers at 30 s are 330 attempts a second.
 */
const backoff = { shareOfTau: 0.2, minSeconds: 1, maxSeconds: 30, pausedSeconds: 5, fullSeconds: 2 };
/** While the onsale workflow has published nothing yet: a pace that admits the first minute's joiners. */
const unsteeredTau = 30;

/** Who a refused attempt flags: the buyer, and their address unless it is exempt. */
const flagSubjects = (buyer: Buyer): FlagSubject[] =>
  buyer.flaggable ? [`buyer:${buyer.buyerId}`, `ip:${buyer.ip}`] : [`buyer:${buyer.buyerId}`];

const sha256 = (data: Uint8Array) => hash('sha256', data, 'buffer');
const seconds = (ms: number) => ms / 1000;

function forbidden(reason: string, detail: string): DomainError {
  return new DomainError('INVALID_QUEUE_TOKEN', detail, { reason });
}

export interface WaitingRoomDeps {
  ring: KeyRing;
  store: RoomStore;
  abuse: AbuseRecords;
  /** The room's published state, cached briefly by the caller. */
  roomState(eventId: string): Promise<RoomState | undefined>;
  now?: () => number;
}

export function createWaitingRoom(deps: WaitingRoomDeps) {
  const now = deps.now ?? Date.now;

  /** The room's settings, or 409 WAITING_ROOM_OFF. */
  function settingsOf(event: RoomEvent): WaitingRoomSettings {
    if (!event.waitingRoom?.enabled) {
      throw new DomainError('WAITING_ROOM_OFF', `event ${event.id} has no waiting room: hold seats directly`);
    }
    return event.waitingRoom;
  }

  /** The phase and pace now: as published, or read off salesOpenAt until the workflow publishes. */
  async function roomNow(event: RoomEvent, settings: WaitingRoomSettings, nowMs: number) {
    const state = await deps.roomState(event.id);
    const openAtMs = event.salesOpenAt ? Date.parse(event.salesOpenAt) : 0;
    const phase: OnsalePhase = state?.phase ?? (nowMs < openAtMs ? 'SCHEDULED' : 'OPEN');
    if (phase === 'SOLD_OUT') throw new DomainError('SOLD_OUT', `event ${event.id} is sold out`);
    if (phase === 'CLOSED') throw new DomainError('SOLD_OUT', `event ${event.id}'s sale has closed`);
    return {
      phase: nowMs < openAtMs ? ('SCHEDULED' as const) : phase,
      openAtMs,
      tau: state?.tau ?? unsteeredTau,
      sessionCap: state?.sessionCap ?? settings.maxActiveSessions,
    };
  }

  async function standing(eventId: string, buyer: Buyer) {
    const found = await deps.abuse.standing(eventId, buyer.buyerId, buyer.flaggable ? buyer.ip : undefined);
    if (found.lockedForSeconds > 0) {
      throw new DomainError(
        'LOCKED_OUT',
        `too many refused attempts: locked out of this queue for ${found.lockedForSeconds} s`,
        { retryAfterSeconds: found.lockedForSeconds },
      );
    }
    return found;
  }

  const difficulty = (settings: WaitingRoomSettings, flags: number) =>
    settings.powDifficulty + Math.min(abusePolicy.maxExtraBits, flags * abusePolicy.bitsPerFlag);

  /** The next backoff, jittered so a crowd that arrived together does not retry together. */
  function backoffSeconds(phase: OnsalePhase, tau: number, openAtMs: number, nowMs: number): number {
    const jitter = 0.8 + Math.random() * 0.4;
    if (phase === 'SCHEDULED') return seconds(openAtMs - nowMs) + Math.random() * openingSpreadSeconds;
    if (phase === 'PAUSED') return backoff.pausedSeconds * jitter;
    const base = Math.min(backoff.maxSeconds, Math.max(backoff.minSeconds, tau * backoff.shareOfTau));
    return base * jitter;
  }

  function placeOf(payload: QueueTokenPayload, tau: number, nowMs: number): Place {
    const retryAfterSeconds = Math.max(0, Math.ceil(payload.nbf - seconds(nowMs)));
    return {
      queueToken: signQueueToken(deps.ring, payload),
      retryAfterSeconds,
      estimatedWaitSeconds: estimatedWaitSeconds(seconds(nowMs) - payload.iat, tau, retryAfterSeconds),
      challenge: { algorithm: 'sha256', difficulty: payload.dif, challenge: payload.ch },
    };
  }

  /** The same place with a new backoff and challenge: what a refused attempt gets back. */
  function renewed(payload: QueueTokenPayload, waitSeconds: number, dif: number, nowMs: number) {
    return {
      ...payload,
      exp: seconds(nowMs) + queueTokenSeconds,
      nbf: seconds(nowMs) + waitSeconds,
      ch: randomBytes(12).toString('base64url'),
      dif,
      n: payload.n + 1,
    };
  }

  return {
    /** POST /v1/events/{eventId}/queue: a place in the queue; joining again with a valid token changes nothing. */
    async join(event: RoomEvent, buyer: Buyer, queueToken?: string): Promise<Place> {
      const settings = settingsOf(event);
      const nowMs = now();
      const room = await roomNow(event, settings, nowMs);
      const { flags } = await standing(event.id, buyer);
      const held = queueToken ? readQueueToken(deps.ring, queueToken)?.payload : undefined;
      if (held && held.sub === buyer.buyerId && held.evt === event.id && held.exp > seconds(nowMs)) {
        return placeOf(held, room.tau, nowMs);
      }
      const iat = seconds(Math.max(nowMs, room.openAtMs));
      const payload: QueueTokenPayload = {
        typ: 'queue',
        jti: randomBytes(12).toString('base64url'),
        sub: buyer.buyerId,
        evt: event.id,
        iat,
        exp: iat + queueTokenSeconds,
        lot: lotteryBytes(deps.ring.current.secret, event.id, buyer.buyerId),
        nbf: seconds(nowMs) + backoffSeconds(room.phase, room.tau, room.openAtMs, nowMs),
        ch: randomBytes(12).toString('base64url'),
        dif: difficulty(settings, flags),
        n: 0,
      };
      await deps.store.noteJoin(event.id, buyer.buyerId);
      void deps.abuse.sample(event.id, {
        kind: 'join',
        ...buyer,
        at: new Date(nowMs).toISOString(),
        outcome: 'joined',
      });
      return placeOf(payload, room.tau, nowMs);
    },

    /** POST /v1/events/{eventId}/queue/admission: admitted with a session, or the place back with a backoff. */
    async attempt(
      event: RoomEvent,
      buyer: Buyer,
      queueToken: string,
      solution: string,
    ): Promise<AttemptAnswer> {
      const settings = settingsOf(event);
      const nowMs = now();
      // Sold out is said first, to everyone, the locked out included: there is nothing left to wait for.
      const room = await roomNow(event, settings, nowMs);
      const { flags } = await standing(event.id, buyer);
      const flag = (subjects: FlagSubject[], reason: Parameters<AbuseRecords['flag']>[2]) =>
        deps.abuse.flag(event.id, subjects, reason);
      const presenter = flagSubjects(buyer);
      const answered = (outcome: string) =>
        void deps.abuse.sample(event.id, {
          kind: 'attempt',
          ...buyer,
          at: new Date(nowMs).toISOString(),
          outcome,
        });

      const token = readQueueToken(deps.ring, queueToken);
      if (!token) {
        await flag(presenter, 'forged');
        answered('forged');
        throw forbidden('forged', 'queueToken is not a queue token this service signed');
      }
      const place = token.payload;
      if (place.exp <= seconds(nowMs)) {
        throw forbidden('expired', 'queueToken has expired: join the queue again');
      }
      if (place.evt !== event.id) {
        await flag(presenter, 'foreign');
        answered('other-event');
        throw forbidden('other-event', `queueToken belongs to another event's queue, not ${event.id}'s`);
      }
      if (place.sub !== buyer.buyerId) {
        // Both: the one who sent it, and the owner who gave their place away (or had it taken).
        await flag(presenter, 'foreign');
        await flag([`buyer:${place.sub}`], 'shared');
        answered('foreign');
        throw forbidden('foreign', "queueToken is another buyer's place in the queue");
      }
      if (place.nbf > seconds(nowMs)) {
        await flag(presenter, 'early');
        answered('early');
        const retryAfterSeconds = Math.max(1, Math.ceil(place.nbf - seconds(nowMs)));
        throw new DomainError('TOO_EARLY', `attempt again in ${retryAfterSeconds} s (retryAfterSeconds)`, {
          retryAfterSeconds,
        });
      }
      if (!(await solves(sha256, place.ch, place.dif, solution))) {
        await flag(presenter, 'bad-solution');
        answered('bad-solution');
        throw new DomainError(
          'INVALID_SOLUTION',
          `solution does not solve the challenge: sha256(challenge + solution) needs ${place.dif} leading zero bits`,
        );
      }
      const waitAgain = (waitSeconds: number) => {
        answered('waiting');
        return {
          admitted: false as const,
          ...placeOf(renewed(place, waitSeconds, difficulty(settings, flags), nowMs), room.tau, nowMs),
        };
      };
      if (room.phase !== 'OPEN') return waitAgain(backoffSeconds(room.phase, room.tau, room.openAtMs, nowMs));
      const waited = seconds(nowMs) - place.iat;
      if (!isAdmitted(luck(token.key.secret, place.lot), waited, room.tau)) {
        return waitAgain(backoffSeconds(room.phase, room.tau, room.openAtMs, nowMs));
      }
      const slot = await deps.store.admit({
        eventId: event.id,
        buyerId: buyer.buyerId,
        tokenId: place.jti,
        tokenExpiresAtMs: place.exp * 1000,
        sessionId: randomBytes(12).toString('base64url'),
        sessionSeconds: settings.sessionSeconds,
        sessionCap: room.sessionCap,
        nowMs,
      });
      switch (slot.outcome) {
        case 'full':
          // Lucky, but no session is free: back soon, though not all at once (a crowd would stampede).
          return waitAgain(
            Math.max(backoff.fullSeconds, backoffSeconds(room.phase, room.tau, room.openAtMs, nowMs)),
          );
        case 'used':
          answered('used');
          throw forbidden('used', 'queueToken has already been spent on an admission');
        case 'ended':
          answered('already-admitted');
          throw new DomainError(
            'ALREADY_ADMITTED',
            `buyer ${buyer.buyerId} has had their admission to event ${event.id}: one per buyer`,
          );
        default: {
          answered('admitted');
          const admissionToken = signAdmissionToken(deps.ring, {
            typ: 'admission',
            sid: slot.sessionId,
            sub: buyer.buyerId,
            evt: event.id,
            exp: seconds(slot.expiresAtMs),
          });
          return { admitted: true, admissionToken, expiresAt: new Date(slot.expiresAtMs).toISOString() };
        }
      }
    },

    /**
     * The session a hold's `Admission-Token` opened, or 403 ADMISSION_REQUIRED. Without Redis the token's
     * signature still proves an admission (fail open: Postgres guards every seat); `sessionLive` says so.
     */
    async admissionOf(event: RoomEvent, buyer: Buyer, admissionToken: string | undefined) {
      const refuse = (why: string) =>
        new DomainError('ADMISSION_REQUIRED', `event ${event.id} sells through its waiting room: ${why}`, {
          queue: `/v1/events/${event.id}/queue`,
        });
      if (!admissionToken) throw refuse('send the Admission-Token the queue gave you');
      const admission = readAdmissionToken(deps.ring, admissionToken);
      if (!admission || admission.evt !== event.id) throw refuse('Admission-Token is not an admission to it');
      if (admission.sub !== buyer.buyerId) {
        await deps.abuse.flag(event.id, flagSubjects(buyer), 'foreign');
        await deps.abuse.flag(event.id, [`buyer:${admission.sub}`], 'shared');
        throw refuse("Admission-Token is another buyer's");
      }
      const nowMs = now();
      if (admission.exp <= seconds(nowMs)) throw refuse('the session has expired; queue again');
      return {
        sessionId: admission.sid,
        isLive: () => deps.store.isLive(event.id, admission.sid, nowMs),
        refuseEnded: () => refuse('the session has ended (its checkout finished)'),
      };
    },
  };
}

export type WaitingRoom = ReturnType<typeof createWaitingRoom>;
