// Owns the live benchmark's results: the record bench/results/<out>.json keeps and the markdown people read.
import type { Latency, RunEnvironment } from '../lib/stats';
import { markdownTable } from '../lib/stats';
import type { Verdict } from './clients';

export interface Memory {
  rssBytes: number;
  heapUsedBytes: number;
}

export interface LiveResult {
  benchmark: 'live';
  generatedAt: string;
  commit?: string;
  environment: RunEnvironment;
  params: { clients: number; clientProcesses: number; rate: number; transitions: number; seats: number };
  connect: { ms: number };
  drive: { transitions: number; failures: number; windowMs: number; perSecond: number };
  verdict: Verdict;
  /** The API process: at rest before the clients, with them connected, and after the run (after a GC each). */
  memory: {
    before: Memory;
    connected: Memory;
    after: Memory;
    perClient: { rssBytes: number; heapBytes: number };
  };
  /** Redis subscriptions to the event's channel during the run (one per API process, whatever the clients). */
  redisSubscriptions: number;
  /** The API process while the clients connected, and while the transitions fanned out; the clients' process. */
  cpuMs: { apiConnect: number; apiFanOut: number; clients: number };
}

const kib = (bytes: number) => `${Math.round(bytes / 102.4) / 10} KiB`;
const mib = (bytes: number) => `${Math.round(bytes / 104_857.6) / 10} MiB`;
const ms = (value: number) => `${value} ms`;
const perDelivery = (result: LiveResult) =>
  result.verdict.delivered ? Math.round((result.cpuMs.apiFanOut * 1000) / result.verdict.delivered) : 0;

export function markdown(result: LiveResult): string {
  const { params, verdict, memory, drive } = result;
  const fan: Latency = verdict.fanOut;
  const exactly = verdict.exact === verdict.clients;
  const lines = [
    '# Live seat map: fan-out',
    '',
    `${result.generatedAt} · commit ${result.commit ?? 'unknown'} · ${result.environment.cpus} CPUs (load ` +
      `${result.environment.loadAverageAtStart.join(' ')} at start, ${result.environment.loadAverageAtEnd.join(' ')} at end) · ` +
      `Node ${result.environment.node}`,
    '',
    `${params.clients} SSE clients (in ${params.clientProcesses} processes of their own) on one API process, one ` +
      `event of ${params.seats} seats. ` +
      `${drive.transitions} seat transitions driven at ${params.rate}/s through the checkout's hold and release ` +
      "code (Postgres transaction, then the seat map's write-through, which publishes) in a process of their " +
      "own, as the worker's are. Latency runs from the Postgres commit to the client's receipt of the event.",
    '',
    markdownTable(
      ['figure', 'value'],
      [
        ['every client saw every transition exactly once, in version order', exactly ? 'yes' : 'NO'],
        [
          'clients exact / out of order / incomplete',
          `${verdict.exact} / ${verdict.disordered} / ${verdict.incomplete}`,
        ],
        ['events delivered', verdict.delivered],
        ['transitions driven (failures)', `${drive.transitions} (${drive.failures}) at ${drive.perSecond}/s`],
        ['fan-out latency p50', ms(fan.p50)],
        ['fan-out latency p95', ms(fan.p95)],
        ['fan-out latency p99', ms(fan.p99)],
        ['fan-out latency max', ms(fan.max)],
        ['memory per client (heap)', kib(memory.perClient.heapBytes)],
        ['memory per client (RSS)', kib(memory.perClient.rssBytes)],
        [
          'API heap before / connected / after',
          `${mib(memory.before.heapUsedBytes)} / ${mib(memory.connected.heapUsedBytes)} / ${mib(memory.after.heapUsedBytes)}`,
        ],
        [
          'API RSS before / connected / after',
          `${mib(memory.before.rssBytes)} / ${mib(memory.connected.rssBytes)} / ${mib(memory.after.rssBytes)}`,
        ],
        ["Redis subscriptions to the event's channel", result.redisSubscriptions],
        ['all clients connected (snapshot received) in', ms(result.connect.ms)],
        [
          'CPU time: API connecting / API fanning out / client processes',
          `${result.cpuMs.apiConnect} ms / ${result.cpuMs.apiFanOut} ms / ${result.cpuMs.clients} ms`,
        ],
      ],
    ),
    '',
    "Memory per client is the API process's growth (after a GC) from before the clients connected to all of " +
      'them connected, divided by the clients: the stream, its subscription listener and its socket.',
    '',
    'The API hands each client one write per batch of the feed (what arrived during one turn of the event ' +
      'loop), so a busy process makes larger writes instead of queueing them. CPU per delivered event: ' +
      `${perDelivery(result)} µs in the API process, most of it Node's web-stream and socket machinery under ` +
      "Hono's streamSSE (one write, and one syscall, per client per batch).",
  ];
  return `${lines.join('\n')}\n`;
}
