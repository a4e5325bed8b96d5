// `tsx scripts/seed.ts`: seeds the demo event into DATABASE_URL (after migrations); safe to run again.
// `npm run dev` does this itself; docker-compose's migrate job runs it after migrating.
import { createPool } from '../src/platform/db';
import { demoEvent, seedEvent } from './lib/seed';

const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/boxoffice';
const pool = createPool(databaseUrl, 2);

try {
  const result = await seedEvent(pool, demoEvent());
  process.stdout.write(
    `${result.created ? 'seeded' : 'already seeded:'} demo event ${result.eventId} (${result.totalSeats} seats)\n`,
  );
} catch (error) {
  process.stderr.write(`seed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
