// `npm run finance:reconcile -- --event <id> | --since <date> [--out ledger.csv] [--json]`: the
// reconciliation report of src/finance/reconcile/. Writes the CSV ledger to --out (default
// reconciliation-<scope>.csv), prints the summary (or the whole report as JSON with --json), and exits
// 1 when there is any discrepancy, 2 on a usage or configuration error (one line, no stack).
import { writeFileSync } from 'node:fs';
import { ledgerCsv, type ReconcileScope, reconcile, summaryText } from '../src/finance/reconcile';
import { loadConfig } from '../src/platform/config';
import { createPool } from '../src/platform/db';
import { createStripe } from '../src/platform/stripe';
import { connectTemporalClient } from '../src/platform/temporal';
import { CommandError, commandFlags, runCommand, usageError } from './lib/command';
import { besideDevStack } from './lib/dev-env';

const usage =
  'usage: npm run finance:reconcile -- --event <eventId> | --since <ISO date> [--out <ledger.csv>] [--json]\n';

const fail = (message: string) => usageError('finance:reconcile', usage, message);

function parse(): { scope: ReconcileScope; out: string; json: boolean } {
  const values = commandFlags('finance:reconcile', usage, {
    event: { type: 'string' },
    since: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  if ((values.event === undefined) === (values.since === undefined))
    fail('give exactly one of --event or --since');
  let scope: ReconcileScope;
  let label: string;
  if (values.event !== undefined) {
    if (!values.event) fail('--event needs an event id');
    scope = { eventId: values.event };
    label = values.event;
  } else {
    const since = new Date(values.since as string);
    if (Number.isNaN(since.getTime()))
      fail(`--since ${values.since} is not a date (try 2025-06-01 or an ISO time)`);
    scope = { since };
    label = `since-${since.toISOString().replaceAll(':', '')}`;
  }
  return { scope, out: values.out ?? `reconciliation-${label}.csv`, json: values.json ?? false };
}

runCommand(
  'finance:reconcile',
  async () => {
    const { scope, out, json } = parse();
    // Beside `npm run dev` it reads what the dev stack runs on (its database, Temporal and Stripe fixture).
    // It authenticates nobody, so it needs no JWT secret: a placeholder unless one is given (or a JWKS).
    const env = besideDevStack();
    const config = loadConfig({
      ...(env.AUTH_JWKS_URL ? {} : { AUTH_JWT_SECRET: 'the-report-verifies-no-tokens' }),
      ...env,
    });
    const temporal = await connectTemporalClient(config.temporal).catch((error: Error) => {
      throw new CommandError(`Temporal is not answering at ${config.temporal.address}: ${error.message}`);
    });
    const pool = createPool(config.databaseUrl, 4);
    try {
      const report = await reconcile({ pool, temporal, stripe: createStripe(config.stripe) }, scope);
      writeFileSync(out, ledgerCsv(report));
      process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : summaryText(report));
      process.stderr.write(`ledger: ${out} (${report.ledger.length} rows)\n`);
      process.exitCode = report.discrepancies.length > 0 ? 1 : 0;
    } finally {
      await temporal.connection.close();
      await pool.end();
    }
  },
  { exitCode: 2 },
);
