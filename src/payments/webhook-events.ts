// Owns the webhook_events table: each Stripe event id is processed once, however often it is delivered.
import type { Pool } from '../platform/db';

/** Claims an event for processing; false when it was already processed. */
export async function claimWebhookEvent(pool: Pool, id: string, type: string): Promise<boolean> {
  await pool.query(`insert into webhook_events (id, type) values ($1, $2) on conflict (id) do nothing`, [
    id,
    type,
  ]);
  const { rows } = await pool.query<{ processed_at: Date | null }>(
    `select processed_at from webhook_events where id = $1`,
    [id],
  );
  return rows[0]?.processed_at === null;
}

export async function markWebhookEventProcessed(pool: Pool, id: string): Promise<void> {
  await pool.query(`update webhook_events set processed_at = now() where id = $1`, [id]);
}
