// Guards determinism: recorded histories of every saga path (test/workflows/histories, recorded with
// RECORD_HISTORIES=1 from reservation.test.ts and cancellation.test.ts) must replay against today's
// workflow code. A change that would break running reservations fails here; wrap such changes in
// patched(). A path recorded on both sides of a patch keeps both histories (`-renamed-check`: the
// attempt check after its rename; `-awaited-charge`: the charge heartbeats and is awaited after its
// cancellation; `-waited-for-reservation`: a late payment that first waits for its reservation's workflow
// to end). The late-payment histories come from test/e2e/webhooks.test.ts and arriving-payments.test.ts.
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
      'cancelled-during-payment-renamed-check',
      'commit-failed-refunded',
      'confirmed',
      'declined-then-confirmed',
      'expired',
      'failed-after-hold-released',
      'force-confirmed',
      'force-released',
      'late-payment-after-terminate',
      'late-payment-sold',
      'late-payment-sold-waited-for-reservation',
      'payment-timeout-charged',
      'payment-timeout-charged-awaited-charge',
      'payment-timeout-charged-renamed-check',
      'payment-timeout-not-charged',
      'payment-timeout-not-charged-awaited-charge',
      'payment-timeout-not-charged-renamed-check',
      'temporal-cancelled',
      'temporal-cancelled-while-paid',
      'three-d-secure-confirmed',
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
