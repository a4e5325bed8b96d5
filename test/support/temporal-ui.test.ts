// The browser check: headless Chromium (Debian's package, through playwright-core; nothing downloaded)
// opens the Temporal Web UI of a dev server started here with its UI on, filters the workflow list by
// BuyerId as support does, and finds the reservation with its summary. Skipped, saying so, only where
// /usr/bin/chromium is absent (.ci/run installs it).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCheckout } from '../../api/workflows/reservations';
import { freePort } from '../../scripts/lib/ports';
import { startTemporalServer } from '../../scripts/lib/temporal-server';
import { loadConfig } from '../../src/platform/config';
import { createPool } from '../../src/platform/db';
import { testDatabaseUrl } from '../helpers/urls';
import { createFakeActivities } from '../workflows/fake-activities';

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) {
  console.warn(
    `[temporal-ui] SKIPPED: ${chromiumPath} is absent. Install Debian's chromium ` +
      '(apt-get install -y chromium; .ci/run does) to run the Temporal UI browser check.',
  );
}

describe.skipIf(!hasChromium)('Temporal UI browser check', () => {
  let server: TestWorkflowEnvironment;
  let uiUrl: string;
  let worker: Worker;
  let running: Promise<void>;
  let browser: Browser;
  const pool = createPool(testDatabaseUrl, 1);
  const fakes = createFakeActivities();
  const taskQueue = `ui-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const uiPort = await freePort();
    server = await startTemporalServer({ uiPort });
    uiUrl = `http://127.0.0.1:${uiPort}`;
    worker = await Worker.create({
      connection: server.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: { ...fakes.main, ...fakes.payments },
    });
    running = worker.run();
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    worker?.shutdown();
    await running;
    await server?.teardown();
    await pool.end();
  });

  it('finds a reservation by a BuyerId filter and shows its summary', async () => {
    // The UI process comes up beside the server: wait until it really serves its app.
    await expect
      .poll(
        async () => {
          const page = await fetch(uiUrl).catch(() => undefined);
          return page?.ok ? (await page.text()).includes('<html') : false;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe(true);

    const config = loadConfig({
      AUTH_JWT_SECRET: 'ui-check-secret-of-some-length',
      STRIPE_SECRET_KEY: 'sk_test_ui',
      TEMPORAL_TASK_QUEUE: taskQueue,
      // Both queues on one worker: the fake activities answer everything.
      TEMPORAL_PAYMENT_TASK_QUEUE: taskQueue,
      API_WAIT_MS: '15000',
    });
    const checkout = createCheckout({ temporal: server.client, config, pool, holds: fakes.holds });
    const buyerId = `ui-buyer-${randomUUID().slice(0, 8)}`;
    const summary = `${buyerId} · evt_ui · A-1-1, A-1-2`;
    const held = await checkout.hold({
      eventId: 'evt_ui',
      buyerId,
      idempotencyKey: randomUUID(),
      request: { seatIds: ['A-1-1', 'A-1-2'] },
      summary,
    });
    expect(held.settled && held.value.status).toBe('HELD');

    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const filter = encodeURIComponent(`BuyerId="${buyerId}"`);
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${filter}`);
    // Visibility is eventually consistent: until the list has the new workflow, reload it.
    const row = page.getByRole('row').filter({ hasText: held.reservationId });
    await expect
      .poll(
        async () => {
          const shown = await row.waitFor({ timeout: 5_000 }).then(
            () => true,
            () => false,
          );
          if (!shown) await page.reload();
          return shown;
        },
        { timeout: 60_000, interval: 0 },
      )
      .toBe(true);
    // The filter lists exactly this buyer's reservation, running.
    expect(await page.getByRole('row').filter({ hasText: 'rsv_' }).count()).toBe(1);
    expect(await row.textContent()).toContain('Running');

    // Its summary and live details (user metadata) read like a support ticket. The UI renders each as
    // markdown in a sandboxed frame of its own, so read the page's frames too.
    await row.getByRole('link', { name: held.reservationId }).click();
    await page.getByText('User Metadata', { exact: true }).click();
    const shownText = async () => {
      const texts = await Promise.all(
        page.frames().map((frame) =>
          frame
            .locator('body')
            .textContent()
            .catch(() => ''),
        ),
      );
      return texts.join('\n');
    };
    await expect.poll(shownText, { timeout: 30_000 }).toContain(summary);
    await expect.poll(shownText, { timeout: 30_000 }).toContain(`Buyer ${buyerId} · event evt_ui`);
    expect(await shownText()).toContain('HELD');
    if (process.env.UI_SCREENSHOT) await page.screenshot({ path: process.env.UI_SCREENSHOT, fullPage: true });
  });
});
