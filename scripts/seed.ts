// `tsx scripts/seed.ts`: seeds the demo event into DATABASE_URL (the dev stack's database unless given,
// after migrations); safe to run again. `npm run dev` does this itself; docker-compose's migrate job runs
// it after migrating. Any failure is reported as one line.
import { createPool } from '../src/platform/db';
import { runCommand } from './lib/command';
import { databaseUrlOnly } from './lib/dev-env';
import { demoEvent, seedEvent } from './lib/seed';

runCommand(
  'seed',
  async () => {
    const pool = createPool(databaseUrlOnly(), 2);
    try {
      const result = await seedEvent(pool, demoEvent());
      process.stdout.write(
        `${result.created ? 'seeded' : 'already seeded:'} demo event ${result.eventId} (${result.totalSeats} seats)\n`,
      );
    } finally {
      await pool.end();
    }
  },
  { expected: [Error] },
);
