// Guards determinism: recorded histories of every saga path (test/workflows/histories, recorded with
// RECORD_HISTORIES=1 from reservation.test.ts and cancellation.test.ts) must replay against today's
// workflow code. A change that would break running reservations fails here; wrap such changes in
// patched(). A path recorded on both sides of a patch keeps both histories (`-renamed-check`: the
// attempt check after its rename; `-awaited-charge`: the charge heartbeats and is awaited after its
// cancellation; `-held-by-api`: the reservation's seats held by the API before its start, the input's
// `held`; `-local-sale`: the sale after a charge is a local activity in the charge's workflow task;
// `-waited-for-reservation`: a late payment that first waits for its reservation's workflow to end).
// The late-payment histories come from test/e2e/webhooks.test.ts and arriving-payments.test.ts; the
// onsale histories (an event's waiting room) from test/waiting-room/room.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const historiesDir = join(import.meta.dirname, 'histories');
const recorded = readdirSync(historiesDir).filter((name) => name.endsWith('.json'));

describe('workflow replay', () => {
  it('has a recorded history for every saga path', () => {
    expect(recorded.map((name) => name.replace(/\.json$/, '')).sort()).toEqual([
      'cancelled',
      'cancelled-during-payment',
      'cancelled-during-payment-awaited-charge',
      'cancelled-during-payment-held-by-api',
      'cancelled-during-payment-renamed-check',
      'cancelled-held-by-api',
      'commit-failed-refunded',
      'commit-failed-refunded-held-by-api',
      'commit-failed-refunded-local-sale',
      'confirmed',
      'confirmed-held-by-api',
      'confirmed-local-sale',
      'declined-then-confirmed',
      'declined-then-confirmed-held-by-api',
      'declined-then-confirmed-local-sale',
      'expired',
      'expired-held-by-api',
      'failed-after-hold-released',
      'failed-after-hold-released-held-by-api',
      'force-confirmed',
      'force-confirmed-held-by-api',
      'force-confirmed-local-sale',
      'force-released',
      'force-released-held-by-api',
      'late-payment-after-terminate',
      'late-payment-sold',
      'late-payment-sold-waited-for-reservation',
      'onsale-closed',
      'onsale-paused-resumed',
      'onsale-sold-out',
      'payment-timeout-charged',
      'payment-timeout-charged-awaited-charge',
      'payment-timeout-charged-held-by-api',
      'payment-timeout-charged-local-sale',
      'payment-timeout-charged-renamed-check',
      'payment-timeout-not-charged',
      'payment-timeout-not-charged-awaited-charge',
      'payment-timeout-not-charged-held-by-api',
      'payment-timeout-not-charged-local-sale',
      'payment-timeout-not-charged-renamed-check',
      'temporal-cancelled',
      'temporal-cancelled-held-by-api',
      'temporal-cancelled-while-paid',
      'temporal-cancelled-while-paid-held-by-api',
      'temporal-cancelled-while-paid-local-sale',
      'three-d-secure-confirmed',
      'three-d-secure-confirmed-held-by-api',
      'three-d-secure-confirmed-local-sale',
    ]);
  });

  it.each(recorded)('replays %s without nondeterminism', async (name) => {
    // The worker converts Temporal's JSON history format itself.
    const history: unknown = JSON.parse(readFileSync(join(historiesDir, name), 'utf8'));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      name,
    );
  });
});
