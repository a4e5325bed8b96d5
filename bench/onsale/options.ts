// Owns the onsale benchmark's command line: flags, their defaults and checks, and the run's params as the
// results record them.
import { parseArgs } from 'node:util';

const usage = `usage: npm run bench:onsale -- [--buyers 10000] [--pre-queue 3000] [--arrive-seconds 10]
  [--seats 2000] [--bots 50] [--bot-tokens 3] [--max-sessions 150] [--session-seconds 600]
  [--pow-difficulty 4] [--payment-rate 20] [--log-level warn] [--out onsale]`;

function refuse(problem: string): never {
  process.stderr.write(`${problem}\n${usage}\n`);
  process.exit(2);
}

function whole(name: string, value: string | undefined, min = 1): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min)
    refuse(`--${name} must be a whole number >= ${min}, got ${value}`);
  return number;
}

export function parseOptions() {
  const { values: flags } = parseArgs({
    options: {
      buyers: { type: 'string', default: '10000' },
      'pre-queue': { type: 'string', default: '3000' },
      'arrive-seconds': { type: 'string', default: '10' },
      seats: { type: 'string', default: '2000' },
      bots: { type: 'string', default: '50' },
      'bot-tokens': { type: 'string', default: '3' },
      'max-sessions': { type: 'string', default: '150' },
      'session-seconds': { type: 'string', default: '600' },
      'pow-difficulty': { type: 'string', default: '4' },
      'payment-rate': { type: 'string', default: '20' },
      'log-level': { type: 'string', default: 'warn' },
      out: { type: 'string', default: 'onsale' },
      help: { type: 'boolean', default: false },
    },
  });
  if (flags.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const params = {
    buyers: whole('buyers', flags.buyers),
    /** Buyers who arrive before salesOpenAt (the pre-queue); the rest arrive after it. */
    preQueue: whole('pre-queue', flags['pre-queue'], 0),
    arriveSeconds: whole('arrive-seconds', flags['arrive-seconds']),
    seats: whole('seats', flags.seats, 50),
    /** Clients that ignore the backoff and retry as fast as they can, with several queue tokens each. */
    bots: whole('bots', flags.bots, 0),
    botTokens: whole('bot-tokens', flags['bot-tokens']),
    maxActiveSessions: whole('max-sessions', flags['max-sessions']),
    sessionSeconds: whole('session-seconds', flags['session-seconds'], 60),
    /**
     * Low, since the benchmark solves every simulated buyer's proof of work on the machine it measures
     * (a real crowd solves on its own devices); flagged bots still face +2 bits per flag.
     */
    powDifficulty: whole('pow-difficulty', flags['pow-difficulty'], 0),
    paymentRate: whole('payment-rate', flags['payment-rate']),
    logLevel: flags['log-level'],
  };
  if (params.preQueue > params.buyers) refuse('--pre-queue must not exceed --buyers');
  return { params, out: flags.out };
}

export type OnsaleOptions = ReturnType<typeof parseOptions>;
export type OnsaleParams = OnsaleOptions['params'];
