// `npm run db:migrate`: creates the database if needed and applies db/migrations to DATABASE_URL (the dev
// stack's database unless given). Any failure is reported as one line.
import { migrate } from '../db/migrate';
import { runCommand } from './lib/command';
import { databaseUrlOnly } from './lib/dev-env';
import { checkPostgres, ensureDatabase } from './lib/preflight';

runCommand(
  'db:migrate',
  async () => {
    const databaseUrl = databaseUrlOnly();
    await checkPostgres(databaseUrl);
    await ensureDatabase(databaseUrl);
    await migrate(databaseUrl, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write('migrations applied\n');
  },
  // What fails here is the database or a migration, whose message says what: no stack helps.
  { expected: [Error] },
);
