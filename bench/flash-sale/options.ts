// Owns the flash-sale benchmark's command line: flags, their defaults and checks, and the run's params
// as the results record them.
import { parseArgs } from 'node:util';
import { type ObservabilitySetting, observabilitySettings } from './observability';
import { describeTemporal, type TemporalChoice } from './stack';

const usage = `usage: npm run bench:flash-sale -- [--seats 2000] [--buyers 10000] [--concurrency 200]
  [--hot-share 0.8] [--burst-seats 40] [--burst-buyers 200]
  [--payment-rate 20] [--probes 500] [--steady-seconds 15] [--steady-rate N] [--rejects 20000]
  [--reject-concurrency 64] [--temporal dev|server] [--temporal-shards 4]
  [--persist] [--sqlite-pragma KEY=VALUE]... [--dynamic-config KEY=JSON]...
  [--worker-options JSON] [--temporal-gomaxprocs N] [--log-level warn] [--observability off|on|both]
  [--processes N] [--profile DIR] [--out flash-sale]`;

function refuse(problem: string): never {
  process.stderr.write(`${problem}\n${usage}\n`);
  process.exit(2);
}

function positive(name: string, value: string | undefined): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) refuse(`--${name} must be a positive number, got ${value}`);
  return number;
}

function share(name: string, value: string | undefined): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 1)
    refuse(`--${name} must be between 0 and 1, got ${value}`);
  return number;
}

function observability(value: string | undefined): ObservabilitySetting {
  const setting = observabilitySettings.find((known) => known === value);
  return setting ?? refuse(`--observability must be ${observabilitySettings.join(', ')}, got ${value}`);
}

/**
 * --temporal: the CLI's dev server (SQLite, one shard), or the real server on Postgres with
 * --temporal-shards history shards. --persist and --sqlite-pragma are the dev server's own.
 */
function temporal(flags: {
  temporal?: string;
  'temporal-shards'?: string;
  persist?: boolean;
  'sqlite-pragma'?: string[];
}): TemporalChoice {
  if (flags.temporal === 'dev') {
    if (flags['temporal-shards'] !== undefined) refuse('--temporal-shards needs --temporal server');
    return { kind: 'dev', persist: Boolean(flags.persist) };
  }
  if (flags.temporal !== 'server') refuse(`--temporal must be dev or server, got ${flags.temporal}`);
  if (flags.persist || flags['sqlite-pragma']?.length) {
    refuse('--persist and --sqlite-pragma are for the dev server; --temporal server persists to Postgres');
  }
  const shards = Number(flags['temporal-shards'] ?? 4);
  if (!Number.isInteger(shards) || shards < 1) {
    refuse(`--temporal-shards must be a whole number >= 1, got ${flags['temporal-shards']}`);
  }
  return { kind: 'server', shards };
}

/** The flags, parsed: prints the usage and exits on --help (0) or a bad value (2). */
export function parseOptions() {
  const { values: flags } = parseArgs({
    options: {
      seats: { type: 'string', default: '2000' },
      buyers: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '200' },
      'hot-share': { type: 'string', default: '0.8' },
      'burst-seats': { type: 'string', default: '40' },
      'burst-buyers': { type: 'string', default: '200' },
      'payment-rate': { type: 'string', default: '20' },
      probes: { type: 'string', default: '500' },
      'steady-seconds': { type: 'string', default: '15' },
      'steady-rate': { type: 'string' },
      rejects: { type: 'string', default: '20000' },
      'reject-concurrency': { type: 'string', default: '64' },
      temporal: { type: 'string', default: 'dev' },
      'temporal-shards': { type: 'string' },
      persist: { type: 'boolean', default: false },
      'sqlite-pragma': { type: 'string', multiple: true, default: [] },
      'dynamic-config': { type: 'string', multiple: true, default: [] },
      'worker-options': { type: 'string' },
      'temporal-gomaxprocs': { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      observability: { type: 'string', default: 'off' },
      processes: { type: 'string', default: '1' },
      profile: { type: 'string' },
      out: { type: 'string', default: 'flash-sale' },
      help: { type: 'boolean', default: false },
    },
  });
  if (flags.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const temporalChoice = temporal(flags);
  const processes = Math.floor(positive('processes', flags.processes));
  if (processes > 1 && flags.observability !== 'off') refuse('--processes above 1 needs --observability off');
  const params = {
    seats: Math.floor(positive('seats', flags.seats)),
    buyers: Math.floor(positive('buyers', flags.buyers)),
    concurrency: Math.floor(positive('concurrency', flags.concurrency)),
    /** The share of the rush's buyers who all want the front 20% of the seats (the rest: the others). */
    hotShare: share('hot-share', flags['hot-share']),
    burstSeats: Math.floor(positive('burst-seats', flags['burst-seats'])),
    burstBuyers: Math.floor(positive('burst-buyers', flags['burst-buyers'])),
    paymentRate: positive('payment-rate', flags['payment-rate']),
    probes: Math.floor(positive('probes', flags.probes)),
    steadySeconds: positive('steady-seconds', flags['steady-seconds']),
    steadyRate:
      flags['steady-rate'] === undefined ? undefined : positive('steady-rate', flags['steady-rate']),
    rejects: Math.floor(positive('rejects', flags.rejects)),
    rejectConcurrency: Math.floor(positive('reject-concurrency', flags['reject-concurrency'])),
    /** Which Temporal ran, e.g. 'dev server (in memory)' or 'Temporal server v1.29.1, Postgres, 4 shards'. */
    temporal: describeTemporal(temporalChoice),
    sqlitePragmas: flags['sqlite-pragma'],
    dynamicConfig: flags['dynamic-config'],
    workerOptions: flags['worker-options']
      ? (JSON.parse(flags['worker-options']) as Record<string, unknown>)
      : {},
    /** Go's GOMAXPROCS for the Temporal server (and stripe-mock); unset: one per CPU. */
    temporalGomaxprocs: flags['temporal-gomaxprocs'],
    logLevel: flags['log-level'],
    /** Metrics and traces in the API and the worker: off, on, or both (every phase off, then on). */
    observability: observability(flags.observability),
    /** APIs and workers, as many of each: the client spreads its requests over the APIs in turn. */
    processes,
    // The probe workflow and activity are bench code: only the bench's worker registers them.
    worker: `${processes === 1 ? 'separate process' : `${processes} processes on one task queue`} (tsx bench/lib/worker.ts)`,
    api: `${processes === 1 ? 'separate process' : `${processes} processes, requests spread in turn`} (tsx api/server.ts, @hono/node-server)`,
  };
  return { params, temporal: temporalChoice, profile: flags.profile, out: flags.out };
}

export type Options = ReturnType<typeof parseOptions>;
export type Params = Options['params'];
