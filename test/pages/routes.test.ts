// The pages as HTTP sees them, without a browser: what each path answers (pages, 404 pages for ids that
// name nothing, never a 5xx for a bad one), the strict Content-Security-Policy, the assets served only by
// name, and the development sign-in: its tokens verify, bad input is a 422, and with NODE_ENV=production
// it is absent.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../api/auth';
import { bearer, connectTestStores, createTestApp, testConfig } from '../helpers/app';

describe('the pages over HTTP', () => {
  const stores = connectTestStores(4);
  const config = testConfig();
  const app = createTestApp({ ...stores, config });
  let eventId: string;

  beforeAll(async () => {
    await stores.ready;
    const created = await app.request('/v1/events', {
      method: 'POST',
      headers: {
        authorization: await bearer('org-page-routes', 'organizer'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        name: `Routes <script>alert(1)</script> ${randomUUID().slice(0, 6)}`,
        venue: 'Hall',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        currency: 'EUR',
        sections: [{ id: 'A', name: 'Floor', price: 4200, rows: [{ id: '1', seats: 3 }] }],
      }),
    });
    expect(created.status).toBe(201);
    eventId = ((await created.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await stores.close();
  });

  it('renders the home page and the event page with every seat as a button carrying its status', async () => {
    const home = await app.request('/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await home.text()).toContain(`href="/events/${eventId}"`);

    const page = await app.request(`/events/${eventId}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const seat of ['A-1-1', 'A-1-2', 'A-1-3']) {
      expect(html).toContain(`data-seat-id="${seat}" data-status="available"`);
    }
    // The event's name is text, escaped in the markup and in the page's data alike.
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('<script type="module" src="/assets/event.js"></script>');
  });

  it('answers ids that name nothing, or are malformed, with a 404 page, never a 5xx', async () => {
    for (const path of [
      '/events/evt_00000000000000000000',
      '/events/not-an-id',
      `/events/${'x'.repeat(5000)}`,
      '/events/%E0%A4%A',
      '/organizer/events/evt_00000000000000000000',
      '/organizer/events/%00',
      '/orders/bogus',
    ]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toContain('text/html');
    }
    // The order page is a frame: the order is read by its script with the buyer's token.
    expect((await app.request('/orders/ord_123')).status).toBe(200);
  });

  it('serves the bundle and the stylesheet by name only', async () => {
    const script = await app.request('/assets/event.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    const etag = script.headers.get('etag');
    expect(etag).toBeTruthy();
    expect((await app.request('/assets/event.js', { headers: { 'if-none-match': etag ?? '' } })).status).toBe(
      304,
    );
    expect((await app.request('/assets/styles.css')).status).toBe(200);
    for (const path of ['/assets/nothing.js', '/assets/../package.json', '/assets/%2e%2e/package.json']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });

  it('mints a token the API accepts from the development sign-in, and refuses bad input with 422', async () => {
    expect(await (await app.request('/sign-in')).text()).toContain('id="dev-sign-in"');
    const signIn = (body: unknown) =>
      app.request('/dev/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const answer = await signIn({ userId: 'alice', role: 'organizer' });
    expect(answer.status).toBe(200);
    const { token } = (await answer.json()) as { token: string };
    expect(await createTokenVerifier(config.auth).verify(token)).toEqual({
      userId: 'alice',
      role: 'organizer',
    });

    for (const body of [
      { userId: 'alice', role: 'admin' },
      { userId: 'has space', role: 'buyer' },
      { userId: '', role: 'buyer' },
      { userId: 'alice', role: 'buyer', exp: 0 },
      'alice',
    ]) {
      const refused = await signIn(body);
      expect(refused.status, JSON.stringify(body)).toBe(422);
      expect(((await refused.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
    }
  });

  it('has no development sign-in with NODE_ENV=production: the form is absent and the endpoint 404', async () => {
    const production = createTestApp({
      ...stores,
      config: testConfig({
        NODE_ENV: 'production',
        TICKET_SIGNING_SECRET: 'a-ticket-key-of-our-own',
        WAITING_ROOM_KEYS: 'k1:a-waiting-room-key-of-our-own',
      }),
    });
    const page = await (await production.request('/sign-in')).text();
    expect(page).not.toContain('id="dev-sign-in"');
    expect(page).toContain('id="token-sign-in"');
    const minted = await production.request('/dev/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'mallory', role: 'support' }),
    });
    expect(minted.status).toBe(404);
  });
});
