// Owns applying db/migrations: plain SQL files, in order, each in a transaction, under an advisory lock
// so two runners racing (API and worker starting together) are safe. Run with `npm run db:migrate`.
import { join } from 'node:path';
import { runner } from 'node-pg-migrate';

export const migrationsDir = join(import.meta.dirname, 'migrations');

export async function migrate(databaseUrl: string, log: (line: string) => void = () => {}): Promise<void> {
  await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    checkOrder: true,
    singleTransaction: false,
    log: (line) => log(line),
    logger: { debug: () => {}, info: log, warn: log, error: log },
    verbose: false,
    advisoryLockMode: 'wait',
  });
}
