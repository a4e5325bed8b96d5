// Owns a live benchmark client process: streams run here, apart from the API process, so the API's
// memory per client is the API's alone (several such processes share the clients, as browsers spread
// over many machines would). Told by its parent (IPC) where to connect and how many;
// answers `ready` once every client has its snapshot, then, given the driver's commits, `verdict` once
// every client has received every transition (or the deadline passed).
import { type ClientPool, connectClients, type Tally, tallyOf } from './clients';
import type { Commits } from './driver';

export type ToClients =
  | { type: 'connect'; url: string; clients: number }
  | { type: 'verdict'; commits: Commits; finalVersion: number; deadlineMs: number };

export type FromClients =
  | { type: 'ready'; connectMs: number }
  | { type: 'verdict'; tally: Tally; cpuMs: number }
  | { type: 'failed'; message: string };

const send = (message: FromClients) => process.send?.(message);

let pool: ClientPool | undefined;
let expected = Number.POSITIVE_INFINITY;
let allDelivered: () => void = () => undefined;
const delivered = new Promise<void>((resolve) => {
  allDelivered = resolve;
});

async function handle(message: ToClients): Promise<void> {
  if (message.type === 'connect') {
    const started = performance.now();
    let allReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      allReady = resolve;
    });
    pool = await connectClients(message.url, message.clients, {
      onSeat: (total) => total >= expected && allDelivered(),
      onSnapshot: (count) => count === message.clients && allReady(),
    });
    // Every snapshot in: each client's stream starts before the first transition is driven.
    await ready;
    send({ type: 'ready', connectMs: Math.round(performance.now() - started) });
    return;
  }
  if (!pool) throw new Error('verdict asked before connecting');
  expected = message.commits.transitions * pool.connections.length;
  if (pool.delivered() >= expected) allDelivered();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    delivered,
    new Promise((resolve) => (timer = setTimeout(resolve, message.deadlineMs))),
  ]);
  clearTimeout(timer);
  const tally = tallyOf(pool.received, message.commits, message.finalVersion);
  const cpu = process.cpuUsage();
  pool.close();
  // Disconnecting before the (megabytes of) samples are through would drop them: only once sent.
  process.send?.(
    { type: 'verdict', tally, cpuMs: Math.round((cpu.user + cpu.system) / 1000) } satisfies FromClients,
    () => process.disconnect(),
  );
}

process.on('message', (message: ToClients) => {
  handle(message).catch((error: unknown) => {
    send({ type: 'failed', message: (error as Error).stack ?? String(error) });
    process.exit(1);
  });
});
