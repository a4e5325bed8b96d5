// Owns the live benchmark's clients: many seat-map streams of one event on node:http, each keeping what
// it received, and the verdict on them against the driver's commits: did every client see every
// transition exactly once, in version order, and how long after its commit did each arrive.
import { openSse, type SseConnection } from '../../scripts/lib/sse-client';
import { type Latency, latency } from '../lib/stats';
import type { Commits } from './driver';

interface Received {
  snapshotVersion?: number;
  /** Seat events in arrival order: [version, seatId, receivedAt]. */
  seats: [number, string, number][];
}

export interface ClientPool {
  connections: SseConnection[];
  received: Received[];
  /** Clients whose snapshot has arrived. */
  ready(): number;
  /** Seat events received over all clients. */
  delivered(): number;
  close(): void;
}

/**
 * Opens `count` streams of `url`, `concurrency` connection attempts at a time; `onSeat` hears the running
 * total of seat events delivered over all clients.
 */
export async function connectClients(
  url: string,
  count: number,
  {
    concurrency = 100,
    onSeat,
    onSnapshot,
  }: {
    concurrency?: number;
    onSeat?: (delivered: number) => void;
    /** Hears the number of clients whose snapshot has arrived. */
    onSnapshot?: (ready: number) => void;
  } = {},
): Promise<ClientPool> {
  const received: Received[] = [];
  const connections: SseConnection[] = [];
  let delivered = 0;
  let ready = 0;
  let next = 0;
  async function connectOne(): Promise<void> {
    const mine: Received = { seats: [] };
    received.push(mine);
    const connection = await openSse(url, (event) => {
      if (event.event === 'snapshot') {
        mine.snapshotVersion = Number(event.id);
        ready += 1;
        onSnapshot?.(ready);
      } else if (event.event === 'seat') {
        const data = JSON.parse(event.data) as { id: string; version: number };
        mine.seats.push([data.version, data.id, event.receivedAt]);
        delivered += 1;
        onSeat?.(delivered);
      }
    });
    if (connection.status !== 200) throw new Error(`stream refused: ${connection.status} ${connection.body}`);
    connections.push(connection);
  }
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        next += 1;
        await connectOne();
      }
    }),
  );
  return {
    connections,
    received,
    ready: () => ready,
    delivered: () => delivered,
    close: () => {
      for (const connection of connections) connection.close();
    },
  };
}

export interface Verdict {
  clients: number;
  /** Clients that received every transition from their snapshot to `finalVersion`, once each, in order. */
  exact: number;
  /** Clients with a version out of order or repeated. */
  disordered: number;
  /** Clients missing transitions at the end. */
  incomplete: number;
  delivered: number;
  /** From the Postgres commit to the client's receipt, ms. */
  fanOut: Latency;
}

/**
 * Checks every client's stream: versions from its snapshot + 1 up to `finalVersion`, each exactly once,
 * ascending; and times each delivery against the commit of the same transition (a seat's k-th
 * transition in the stream is the driver's k-th commit of that seat, as clients connect first).
 */
export function verdictOf(received: Received[], commits: Commits, finalVersion: number): Verdict {
  const samples: number[] = [];
  let exact = 0;
  let disordered = 0;
  let incomplete = 0;
  let delivered = 0;
  for (const client of received) {
    const start = client.snapshotVersion ?? Number.NaN;
    const seen = new Map<string, number>();
    let inOrder = true;
    client.seats.forEach(([version, seatId, at], index) => {
      if (version !== start + 1 + index) inOrder = false;
      const k = seen.get(seatId) ?? 0;
      seen.set(seatId, k + 1);
      const committed = commits.bySeat[seatId]?.[k];
      if (committed !== undefined) samples.push(at - committed);
    });
    delivered += client.seats.length;
    const complete = start + client.seats.length === finalVersion;
    if (!inOrder) disordered += 1;
    else if (!complete) incomplete += 1;
    else exact += 1;
  }
  return { clients: received.length, exact, disordered, incomplete, delivered, fanOut: latency(samples) };
}
