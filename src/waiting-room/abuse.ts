// Owns the waiting room's abuse records in Redis: flags on buyers and client addresses (early attempts,
// forged or foreign tokens, bad solutions), which make their challenges harder and then lock them out for
// a while, and a bounded sample of joins and attempts kept for later analysis. Everything expires.
import type { Redis } from '../platform/redis';
import { roomKeys as keys } from './keys';

export const flagReasons = ['early', 'forged', 'foreign', 'shared', 'bad-solution'] as const;
export type FlagReason = (typeof flagReasons)[number];

/** Who a flag is on: `buyer:<id>` or `ip:<address>`. */
export type FlagSubject = `buyer:${string}` | `ip:${string}`;

export const abusePolicy = {
  /** How long a flag counts. */
  flagSeconds: 3600,
  /** Extra leading zero bits of proof of work per flag. */
  bitsPerFlag: 2,
  maxExtraBits: 8,
  /** Flags after which a buyer is locked out; an address, shared by many people behind one NAT, later. */
  buyerLockoutAt: 5,
  ipLockoutAt: 25,
  lockoutSeconds: 600,
  /** Samples kept per event, newest first. */
  maxSamples: 10_000,
} as const;

export interface Standing {
  /** Flags on the buyer or their address, whichever is more. */
  flags: number;
  /** Seconds of lockout left, 0 when not locked out. */
  lockedForSeconds: number;
}

export interface FlagRecord {
  subject: FlagSubject;
  count: number;
  reasons: Partial<Record<FlagReason, number>>;
  lastAt: string;
  lockedUntil: string | null;
}

export interface Sample {
  kind: 'join' | 'attempt';
  buyerId: string;
  ip: string;
  at: string;
  outcome: string;
}

export function createAbuseRecords(redis: Redis, options: { sampleRate: number }) {
  return {
    /** The flags and lockout of a buyer and their address (if it may be flagged): one round trip. */
    async standing(eventId: string, buyerId: string, ip: string | undefined): Promise<Standing> {
      const buyer: FlagSubject = `buyer:${buyerId}`;
      // An exempt address reads the buyer's own keys twice: the same round trip, nothing of the address.
      const address: FlagSubject = ip === undefined ? buyer : `ip:${ip}`;
      const replies = (await redis
        .multi()
        .hget(keys.flag(eventId, buyer), 'count')
        .hget(keys.flag(eventId, address), 'count')
        .pttl(keys.lockout(eventId, buyer))
        .pttl(keys.lockout(eventId, address))
        .exec()) as [Error | null, unknown][];
      const [buyerFlags, ipFlags, buyerLock, ipLock] = replies.map(([error, value]) => {
        if (error) throw error;
        return Number(value ?? 0);
      }) as [number, number, number, number];
      return {
        flags: Math.max(buyerFlags, ipFlags),
        lockedForSeconds: Math.ceil(Math.max(0, buyerLock, ipLock) / 1000),
      };
    },

    /** Flags each subject for `reason`, locking out those that reached their threshold. */
    async flag(
      eventId: string,
      subjects: FlagSubject[],
      reason: FlagReason,
      now = new Date(),
    ): Promise<void> {
      const counting = redis.multi();
      for (const subject of subjects) {
        const key = keys.flag(eventId, subject);
        counting
          .hincrby(key, 'count', 1)
          .hincrby(key, reason, 1)
          .hset(key, 'lastAt', now.toISOString())
          .expire(key, abusePolicy.flagSeconds)
          .zadd(keys.flagged(eventId), now.getTime(), subject)
          .expire(keys.flagged(eventId), abusePolicy.flagSeconds);
      }
      const replies = (await counting.exec()) as [Error | null, unknown][];
      const locking = redis.multi();
      subjects.forEach((subject, index) => {
        const count = Number(replies[index * 6]?.[1] ?? 0);
        const lockAt = subject.startsWith('buyer:') ? abusePolicy.buyerLockoutAt : abusePolicy.ipLockoutAt;
        if (count >= lockAt) {
          locking.set(keys.lockout(eventId, subject), now.toISOString(), 'EX', abusePolicy.lockoutSeconds);
        }
      });
      if (locking.length > 0) await locking.exec();
    },

    /** Flagged buyers and addresses of an event, the most recently flagged first (support's list). */
    async list(eventId: string, limit = 500): Promise<FlagRecord[]> {
      const subjects = (await redis.zrevrange(keys.flagged(eventId), 0, limit - 1)) as FlagSubject[];
      if (subjects.length === 0) return [];
      const reading = redis.multi();
      for (const subject of subjects) {
        reading.hgetall(keys.flag(eventId, subject)).pttl(keys.lockout(eventId, subject));
      }
      const replies = (await reading.exec()) as [Error | null, unknown][];
      const records: FlagRecord[] = [];
      subjects.forEach((subject, index) => {
        const fields = replies[index * 2]?.[1] as Record<string, string> | undefined;
        const lockMs = Number(replies[index * 2 + 1]?.[1] ?? -2);
        if (!fields?.count) return; // expired between the two reads
        const reasons: Partial<Record<FlagReason, number>> = {};
        for (const reason of flagReasons) if (fields[reason]) reasons[reason] = Number(fields[reason]);
        records.push({
          subject,
          count: Number(fields.count),
          reasons,
          lastAt: fields.lastAt ?? '',
          lockedUntil: lockMs > 0 ? new Date(Date.now() + lockMs).toISOString() : null,
        });
      });
      return records;
    },

    /** Keeps a share (WAITING_ROOM_SAMPLE_RATE) of joins and attempts, at most maxSamples per event. */
    async sample(eventId: string, sample: Sample): Promise<void> {
      if (Math.random() >= options.sampleRate) return;
      await redis
        .multi()
        .lpush(keys.samples(eventId), JSON.stringify(sample))
        .ltrim(keys.samples(eventId), 0, abusePolicy.maxSamples - 1)
        .expire(keys.samples(eventId), 7 * 86_400)
        .exec();
    },

    async samples(eventId: string, limit = 1000): Promise<Sample[]> {
      const rows = await redis.lrange(keys.samples(eventId), 0, limit - 1);
      return rows.map((row) => JSON.parse(row) as Sample);
    },
  };
}

export type AbuseRecords = ReturnType<typeof createAbuseRecords>;
