// The web pages in a real browser: Debian's Chromium through playwright-core (nothing downloaded) on the
// real stack served over HTTP. A buyer buys two seats through the pages while a second page of the
// event sees them turn held, then sold, without a reload; a queued buyer gets through the waiting room;
// the organizer's dashboard moves; /docs renders offline. Every request leaving 127.0.0.1 is blocked and
// recorded, and none may be attempted. PAGES_SCREENSHOTS=<folder> writes a screenshot of each page there
// (docs/screenshots holds the committed ones).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onsaleWorkflowId, statusQuery } from '../../workflows/onsale/contract';
import { bearer } from '../helpers/app';
import { listen, startTestStack, type TestStack } from '../helpers/stack';

const chromiumPath = '/usr/bin/chromium';
const screenshots = process.env.PAGES_SCREENSHOTS;
const phone = { width: 390, height: 844 };
const desktop = { width: 1280, height: 900 };
/** How soon another page must show a seat's new status: the live promise of the event page. */
const liveWithinMs = 1000;

describe('the web pages in a browser', () => {
  let stack: TestStack;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let organizer: string;
  /** Requests any page tried to send off this machine (all blocked). */
  const external: string[] = [];
  /** Script errors and console errors of every page (a CSP violation is one). */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `${chromiumPath} is missing: the pages' browser test needs Debian's Chromium ` +
          '(sudo apt-get install -y chromium; .ci/run installs it). Nothing is downloaded instead.',
      );
    }
    stack = await startTestStack('pages');
    server = await listen((request) => stack.app.fetch(request));
    organizer = await bearer('org-pages', 'organizer');
    // The bundle is built on first use: build it now, not inside the first page's timings.
    expect((await fetch(`${server.url}/assets/event.js`)).status).toBe(200);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    if (screenshots) mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await stack?.stop();
  });

  /** A browser context (one person's browser) that may reach only the local server. */
  async function person(viewport = desktop): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport });
    await context.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === '127.0.0.1' || hostname === 'localhost') return route.continue();
      external.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    context.on('page', watch);
    return context;
  }

  function watch(page: Page): void {
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      // A refused request (a decline's 402) is logged by the browser; it is an answer, not an error.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(`${page.url()}: ${message.text()}`);
      }
    });
  }

  async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
    if (screenshots) await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage });
  }

  /** Signs in through the page's development form and comes back to `next`. */
  async function signIn(context: BrowserContext, userId: string, role: string, next: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${server.url}/sign-in?next=${encodeURIComponent(next)}`);
    await page.getByLabel('User id').fill(userId);
    await page.getByLabel('Role').selectOption(role);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.url}${next}`);
    await page.locator(`#session [data-user-id="${userId}"]`).waitFor();
    return page;
  }

  async function createEvent(extra: Record<string, unknown> = {}): Promise<string> {
    const created = await stack.call('POST', '/v1/events', organizer, {
      name: `Pages live ${Math.random().toString(36).slice(2, 6)}`,
      venue: 'Test Hall',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      currency: 'EUR',
      maxSeatsPerBuyer: 4,
      sections: [
        { id: 'A', name: 'Floor', price: 4200, rows: [{ id: '1', seats: 8 }] },
        { id: 'B', name: 'Balcony', price: 2500, rows: [{ id: '1', seats: 6 }] },
      ],
      ...extra,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  }

  /** Waits until the page's live seat stream is open. */
  const live = (page: Page) => page.locator('#live-status[data-live="live"]').waitFor();
  const seat = (page: Page, id: string, status?: string) =>
    page.locator(`[data-seat-id="${id}"]${status ? `[data-status="${status}"]` : ''}`);

  it('buys two seats through the pages while another page sees them held, then sold, live', async () => {
    const eventId = await createEvent();
    const eventPath = `/events/${eventId}`;

    const dashboard = await signIn(await person(), 'org-pages', 'organizer', `/organizer/events/${eventId}`);
    await dashboard.locator('#dashboard-status[data-live="live"]').waitFor();
    await dashboard.locator('#figure-sold', { hasText: /^0$/ }).waitFor();

    const watcher = await (await person()).newPage();
    await watcher.goto(`${server.url}${eventPath}`);
    await live(watcher);
    // Set once: still there at the end means the page never reloaded.
    await watcher.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    const buyer = await signIn(await person(phone), 'pages-buyer', 'buyer', eventPath);
    await live(buyer);
    await seat(buyer, 'A-1-3').click();
    await seat(buyer, 'A-1-4').click();
    await expect.poll(() => buyer.locator('#selection-summary').textContent()).toContain('€84.00');
    await buyer.getByRole('button', { name: 'Hold 2 seats' }).click();
    await buyer.locator('#hold').waitFor({ state: 'visible' });
    for (const id of ['A-1-3', 'A-1-4']) {
      await seat(watcher, id, 'held').waitFor({ timeout: liveWithinMs });
    }
    await shoot(watcher, 'event-page');
    // The hold's countdown runs; focus went to the hold so a keyboard or screen-reader user is there.
    await expect.poll(() => buyer.locator('#hold-countdown').textContent()).toMatch(/^\d+:\d\d$/);
    expect(await buyer.evaluate(() => document.activeElement?.id)).toBe('hold-heading');
    await shoot(buyer, 'hold-payment');

    // A declined card keeps the hold for another try.
    await buyer.getByLabel(/Card declined/).check();
    await buyer.getByRole('button', { name: 'Pay' }).click();
    await buyer.locator('#checkout-error', { hasText: 'declined' }).waitFor();
    expect(await seat(watcher, 'A-1-3').getAttribute('data-status')).toBe('held');

    await buyer.getByLabel(/Visa, succeeds/).check();
    await buyer.getByRole('button', { name: 'Pay' }).click();
    await buyer.waitForURL(/\/orders\/ord_/);
    for (const id of ['A-1-3', 'A-1-4']) {
      await seat(watcher, id, 'sold').waitFor({ timeout: liveWithinMs });
    }
    expect(await watcher.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    await seat(watcher, 'A-1-5', 'available').waitFor();
    await shoot(watcher, 'event-page-sold');

    // The order page draws each ticket's code: the modules of the qrcode package's SVG of that code.
    const tickets = buyer.locator('.ticket');
    await tickets.nth(1).locator('.qr svg').waitFor();
    expect(await tickets.count()).toBe(2);
    const code = (await tickets.first().locator('.ticket-code').textContent()) ?? '';
    const expected = await QRCode.toString(code, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    const modules = await tickets.first().locator('.qr path[stroke]').getAttribute('d');
    expect(modules).toBeTruthy();
    expect(expected).toContain(`d="${modules}"`);
    await shoot(buyer, 'order');

    // The organizer's dashboard moved by itself.
    await dashboard.locator('#figure-sold', { hasText: /^2$/ }).waitFor({ timeout: 10_000 });
    await dashboard.locator('tr[data-section-id="A"] td', { hasText: /^2$/ }).first().waitFor();
    await shoot(dashboard, 'dashboard');
  });

  it('admits a queued buyer through the waiting room, its proof of work in a Web Worker', async () => {
    const eventId = await createEvent({
      // Opens a few seconds from now: the buyer queues before the sale, then is let in.
      salesOpenAt: new Date(Date.now() + 4000).toISOString(),
      waitingRoom: { enabled: true, maxActiveSessions: 10, powDifficulty: 4 },
    });
    const eventPath = `/events/${eventId}`;
    const context = await person();
    const workers: string[] = [];
    context.on('page', (page) => page.on('worker', (worker) => workers.push(worker.url())));
    const buyer = await signIn(context, 'queued-buyer', 'buyer', eventPath);

    await buyer.locator('#room:not([hidden])').waitFor();
    await buyer.locator('#room-status', { hasText: 'You are in the queue' }).waitFor();
    expect(await buyer.locator('#room-wait').textContent()).not.toBe('working it out');
    expect(await buyer.getByRole('button', { name: /^Hold/ }).isDisabled()).toBe(true);
    await shoot(buyer, 'waiting-room');

    // The onsale workflow opens the room at salesOpenAt; the page attempts when its backoff ends.
    await buyer.locator('#room[data-state="admitted"]').waitFor({ state: 'attached', timeout: 45_000 });
    const handle = stack.temporal.client.workflow.getHandle(onsaleWorkflowId(eventId));
    expect((await handle.query(statusQuery)).phase).toBe('OPEN');
    expect(workers.some((url) => url.includes('queue-worker'))).toBe(true);

    // By keyboard this time: seats and the hold are real buttons. The hold carries the admission
    // (without it the API answers 403 ADMISSION_REQUIRED).
    await seat(buyer, 'B-1-1').focus();
    await buyer.keyboard.press('Space');
    expect(await seat(buyer, 'B-1-1').getAttribute('aria-pressed')).toBe('true');
    await buyer.getByRole('button', { name: 'Hold seat' }).focus();
    await buyer.keyboard.press('Enter');
    await buyer.locator('#hold').waitFor({ state: 'visible' });
    expect(await buyer.locator('#checkout-error').textContent()).toBe('');
  });

  it('renders /docs with no network, linking the pages', async () => {
    const page = await (await person()).newPage();
    await page.goto(`${server.url}/docs`);
    await page.locator('.swagger-ui .info', { hasText: 'Boxoffice API' }).waitFor();
    await page.getByText('/v1/events/{eventId}/seats/stream').first().waitFor();
    expect(await page.locator('.swagger-ui .info a[href="/"]').count()).toBe(1);
    // The reference is long: its first screen shows what it is.
    await shoot(page, 'docs', false);
  });

  it('attempted no request off this machine and raised no script error', () => {
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
