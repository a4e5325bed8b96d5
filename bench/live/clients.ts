// Owns the live benchmark's clients: many seat-map streams of one event on node:http, each keeping what
// it received, and the verdict on them against the driver's commits: did every client see every
// transition exactly once, in version order, and how long after its commit did each arrive.
import { openSse, type SseConnection } from '../../scripts/lib/sse-client';
import { type Latency, latency } from '../lib/stats';
import type { Commits } from './driver';

/** One client's seat events in arrival order, column by column (millions of them stay cheap). */
interface Received {
  snapshotVersion?: number;
  versions: number[];
  seatIds: string[];
  receivedAt: number[];
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
    const mine: Received = { versions: [], seatIds: [], receivedAt: [] };
    received.push(mine);
    const connection = await openSse(url, (event) => {
      if (event.event === 'snapshot') {
        mine.snapshotVersion = Number(event.id);
        ready += 1;
        onSnapshot?.(ready);
      } else if (event.event === 'seat') {
        const data = JSON.parse(event.data) as { id: string; version: number };
        mine.versions.push(data.version);
        mine.seatIds.push(data.id);
        mine.receivedAt.push(event.receivedAt);
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

/** A verdict before its latencies are summed up: what each client process sends back, to be merged. */
export type Tally = Omit<Verdict, 'fanOut'> & { samples: Float64Array };

/**
 * Checks every client's stream: versions from its snapshot + 1 up to `finalVersion`, each exactly once,
 * ascending; and times each delivery against the commit of the same transition (a seat's k-th
 * transition in the stream is the driver's k-th commit of that seat, as clients connect first).
 */
export function tallyOf(received: Received[], commits: Commits, finalVersion: number): Tally {
  const samples = new Float64Array(received.reduce((sum, client) => sum + client.versions.length, 0));
  let filled = 0;
  let exact = 0;
  let disordered = 0;
  let incomplete = 0;
  for (const client of received) {
    const start = client.snapshotVersion ?? Number.NaN;
    const seen = new Map<string, number>();
    let inOrder = true;
    for (let index = 0; index < client.versions.length; index++) {
      if (client.versions[index] !== start + 1 + index) inOrder = false;
      const seatId = client.seatIds[index] ?? '';
      const k = seen.get(seatId) ?? 0;
      seen.set(seatId, k + 1);
      const committed = commits.bySeat[seatId]?.[k];
      if (committed !== undefined) samples[filled++] = (client.receivedAt[index] ?? 0) - committed;
    }
    const complete = start + client.versions.length === finalVersion;
    if (!inOrder) disordered += 1;
    else if (!complete) incomplete += 1;
    else exact += 1;
  }
  return {
    clients: received.length,
    exact,
    disordered,
    incomplete,
    delivered: samples.length,
    samples: samples.subarray(0, filled),
  };
}

/** The verdict over the tallies of every client process. */
export function mergeTallies(tallies: Tally[]): Verdict {
  const sum = (field: 'clients' | 'exact' | 'disordered' | 'incomplete' | 'delivered') =>
    tallies.reduce((total, tally) => total + tally[field], 0);
  const samples = tallies.flatMap((tally) => Array.from(tally.samples));
  return {
    clients: sum('clients'),
    exact: sum('exact'),
    disordered: sum('disordered'),
    incomplete: sum('incomplete'),
    delivered: sum('delivered'),
    fanOut: latency(samples),
  };
}

/** The verdict on clients of this process. */
export function verdictOf(received: Received[], commits: Commits, finalVersion: number): Verdict {
  return mergeTallies([tallyOf(received, commits, finalVersion)]);
}
