// Owns the web pages' routes: which page answers which path, the public data each is rendered with, and
// their files under /assets/. The pages' scripts call the JSON API (/v1) like any client.
import { OpenAPIHono } from '@hono/zod-openapi';
import { getEvent, listEvents } from '../../src/inventory/events';
import type { SeatView } from '../../src/inventory/seat-map';
import type { AppEnv, RouteDeps } from '../env';
import { eventId as eventIdSchema, orderId as orderIdSchema } from '../schemas/ids';
import { assetRoutes } from './assets';
import { dashboardPage } from './dashboard';
import { devSignInRoutes } from './dev-sign-in';
import { eventPage } from './event';
import { homePage } from './home';
import { notFoundPage } from './layout';
import { orderPage } from './order';
import { signInPage } from './sign-in';

/** Events listed on the home page. */
const listedEvents = 50;
/** Seats the event page renders: a venue this big is a page of buttons a person can still use. */
export const maxRenderedSeats = 5000;

/**
 * The pages and their assets, with the development sign-in when the configuration allows it.
 * @example app.route('/', pageRoutes(routeDeps))
 */
export function pageRoutes(deps: Pick<RouteDeps, 'config' | 'pool' | 'seatMap'>) {
  // OpenAPIHono although the pages are not in the API's document: the dev sign-in below is, and its
  // validation answers with the app's 422 hook, both of which pass through an OpenAPIHono parent only.
  const app = new OpenAPIHono<AppEnv>();
  const { config } = deps;
  const testPayments = /^(sk|rk)_test_/.test(config.stripe.secretKey);

  /** The event an id in the path names, or undefined for a malformed or unknown one (a 404 page). */
  async function eventOf(id: string) {
    return eventIdSchema.safeParse(id).success ? getEvent(deps.pool, id) : undefined;
  }

  /** Every seat, a page of the seat map at a time (the map caps one answer at 1000 seats). */
  async function seatsOf(id: string): Promise<SeatView[]> {
    const seats: SeatView[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined && seats.length < maxRenderedSeats) {
      const page = await deps.seatMap.read(id, undefined, { offset, limit: 1000 });
      if (!page) break;
      seats.push(...page.seats);
      offset = page.nextOffset;
    }
    return seats;
  }

  app.get('/', async (c) => homePage(c, (await listEvents(deps.pool, { limit: listedEvents })).items));

  app.get('/events/:eventId', async (c) => {
    const event = await eventOf(c.req.param('eventId'));
    if (!event) return notFoundPage(c, 'such event');
    return eventPage(c, event, await seatsOf(event.id), { testPayments });
  });

  app.get('/orders/:orderId', (c) => {
    const orderId = c.req.param('orderId');
    // The order itself is the buyer's: the page's script reads it with their token.
    if (!orderIdSchema.safeParse(orderId).success) return notFoundPage(c, 'such order');
    return orderPage(c, orderId);
  });

  app.get('/organizer/events/:eventId', async (c) => {
    const event = await eventOf(c.req.param('eventId'));
    if (!event) return notFoundPage(c, 'such event');
    return dashboardPage(c, event);
  });

  app.get('/sign-in', (c) => signInPage(c, { devSignIn: config.devSignIn }));
  if (config.devSignIn && config.auth.jwtSecret !== undefined) {
    app.route('/', devSignInRoutes({ ...config.auth, jwtSecret: config.auth.jwtSecret }));
  }

  app.route('/', assetRoutes({ prebuilt: config.production }));
  return app;
}
