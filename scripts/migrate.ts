// `npm run db:migrate`: creates the database if needed and applies db/migrations to DATABASE_URL.
import { migrate } from '../db/migrate';
import { checkPostgres, ensureDatabase } from './lib/preflight';

const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/boxoffice';

try {
  await checkPostgres(databaseUrl);
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write('migrations applied\n');
} catch (error) {
  process.stderr.write(`db:migrate: ${(error as Error).message}\n`);
  process.exit(1);
}
