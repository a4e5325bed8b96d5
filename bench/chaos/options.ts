// Owns the chaos run's command line: the size of the sale, how many faults of each kind, the timings the
// stack runs with, and the short preset `npm test` uses.
import { parseArgs } from 'node:util';

export interface ChaosParams {
  seats: number;
  buyers: number;
  /** Buyers in flight at once (arrivals are spread over `durationSeconds`). */
  concurrency: number;
  /** Seconds over which buyers arrive and faults are injected. */
  durationSeconds: number;
  /** Injections of each process and gateway fault kind. */
  faultsPerKind: number;
  /** Temporal Cancel and Terminate requests on random live reservations (each). */
  cancels: number;
  terminates: number;
  /** How long a restarted Postgres, Redis or Temporal stays down, and a killed worker stays dead. */
  outageSeconds: number;
  /** The event's hold; also the longest an abandoned hold lives. */
  holdSeconds: number;
  maxSeatsPerBuyer: number;
  paymentWindowSeconds: number;
  attemptTimeoutSeconds: number;
  /** HOLD_GRACE_SECONDS for the stack, and how long past a lease the invariants wait. */
  holdGraceSeconds: number;
  paymentRate: number;
  /** Upper bound on the wait for every workflow to end after the sale. */
  settleTimeoutSeconds: number;
  seed: number;
  logLevel: string;
}

export const fullParams: ChaosParams = {
  seats: 500,
  buyers: 2000,
  concurrency: 40,
  durationSeconds: 180,
  faultsPerKind: 3,
  cancels: 10,
  terminates: 10,
  outageSeconds: 3,
  holdSeconds: 90,
  maxSeatsPerBuyer: 4,
  paymentWindowSeconds: 60,
  attemptTimeoutSeconds: 8,
  holdGraceSeconds: 10,
  paymentRate: 20,
  settleTimeoutSeconds: 600,
  seed: 9,
  logLevel: 'warn',
};

/** About a minute of faults on a small sale: every fault kind once. */
export const shortParams: ChaosParams = {
  ...fullParams,
  seats: 40,
  buyers: 120,
  concurrency: 12,
  durationSeconds: 50,
  faultsPerKind: 1,
  cancels: 2,
  terminates: 2,
  holdSeconds: 30,
  paymentWindowSeconds: 30,
  attemptTimeoutSeconds: 5,
  settleTimeoutSeconds: 300,
};

const usage = `usage: npm run chaos -- [--short] [--seats 500] [--buyers 2000] [--concurrency 40]
  [--duration 180] [--faults-per-kind 3] [--cancels 10] [--terminates 10] [--outage-seconds 3]
  [--hold-seconds 90] [--max-seats-per-buyer 4] [--payment-window-seconds 60] [--attempt-timeout-seconds 8]
  [--hold-grace-seconds 10] [--payment-rate 20] [--settle-timeout 600] [--seed 9] [--log-level warn]
  [--out chaos] [--no-write] [--keep-data]
--short starts from the small preset (40 seats, 120 buyers, 50 s, each fault once); other flags override.`;

const numericFlags = {
  seats: 'seats',
  buyers: 'buyers',
  concurrency: 'concurrency',
  duration: 'durationSeconds',
  'faults-per-kind': 'faultsPerKind',
  cancels: 'cancels',
  terminates: 'terminates',
  'outage-seconds': 'outageSeconds',
  'hold-seconds': 'holdSeconds',
  'max-seats-per-buyer': 'maxSeatsPerBuyer',
  'payment-window-seconds': 'paymentWindowSeconds',
  'attempt-timeout-seconds': 'attemptTimeoutSeconds',
  'hold-grace-seconds': 'holdGraceSeconds',
  'payment-rate': 'paymentRate',
  'settle-timeout': 'settleTimeoutSeconds',
  seed: 'seed',
} as const satisfies Record<string, keyof ChaosParams>;

export interface ChaosOptions {
  params: ChaosParams;
  /** Results file name under bench/results (without extension); undefined: write nothing. */
  out: string | undefined;
  /** Keep the run's whole folder (databases, logs); otherwise a red run keeps its logs, a green one nothing. */
  keepData: boolean;
}

/** The flags, parsed: prints the usage and exits on --help (0) or a bad value (2). */
export function parseChaosOptions(argv = process.argv.slice(2)): ChaosOptions {
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n${usage}\n`);
    process.exit(2);
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.keys(numericFlags).map((flag) => [flag, { type: 'string' }])),
        short: { type: 'boolean', default: false },
        'log-level': { type: 'string' },
        out: { type: 'string', default: 'chaos' },
        'no-write': { type: 'boolean', default: false },
        'keep-data': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const params: ChaosParams = { ...(values.short ? shortParams : fullParams) };
  for (const [flag, key] of Object.entries(numericFlags)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const value = Number(raw);
    const zeroAllowed = ['faultsPerKind', 'cancels', 'terminates', 'outageSeconds', 'holdGraceSeconds'];
    if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed.includes(key))) {
      fail(
        `--${flag} must be a ${zeroAllowed.includes(key) ? 'non-negative' : 'positive'} number, got ${raw}`,
      );
    }
    params[key] = key === 'paymentRate' ? value : Math.floor(value);
  }
  if (typeof values['log-level'] === 'string') params.logLevel = values['log-level'];
  return {
    params,
    out: values['no-write'] ? undefined : String(values.out),
    keepData: Boolean(values['keep-data']),
  };
}
