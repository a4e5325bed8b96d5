// Owns the API's context and dependency types: the clients a process hands the app, the services the
// app builds once from them, and what a request's context carries. Types only: routes import this,
// never app.ts.
import type { Client } from '@temporalio/client';
import type { EventWithSections } from '../src/inventory/events';
import type { SeatMap } from '../src/inventory/seat-map';
import type { Live } from '../src/live';
import type { Config } from '../src/platform/config';
import type { Pool } from '../src/platform/db';
import type { Logger } from '../src/platform/logger';
import type { Registry } from '../src/platform/metrics';
import type { Redis } from '../src/platform/redis';
import type { Stripe } from '../src/platform/stripe';
import type { TtlCache } from '../src/platform/ttl-cache';
import type { AuthVariables } from './auth';
import type { FastRejection } from './fast-rejection';
import type { ApiMetrics } from './metrics';
import type { RateLimitVariables } from './rate-limit';
import type { ApiWaitingRoom } from './waiting-room';
import type { Onsale } from './workflows/onsale';
import type { Payments } from './workflows/payments';
import type { Refunds } from './workflows/refunds';
import type { Checkout } from './workflows/reservations';

/** The clients a process (api/server.ts, a test) connects and hands to the app. */
export interface AppDeps {
  config: Config;
  pool: Pool;
  redis: Redis;
  temporal: Client;
  stripe: Stripe;
  log: Logger;
  /** The process's metrics registry (api/server.ts); the app makes its own when absent (tests). */
  registry?: Registry;
}

/** Built once per app from its clients and shared by the routes (one seat map, one event cache). */
export interface AppServices {
  seatMap: SeatMap;
  checkout: Checkout;
  refunds: Refunds;
  payments: Payments;
  fastRejection: FastRejection;
  metrics: ApiMetrics;
  /** Events as read from Postgres a second ago at most: settings a hold or a queue step needs. */
  events: TtlCache<EventWithSections | undefined>;
  waitingRoom: ApiWaitingRoom;
  onsale: Onsale;
  /** The process's one live subscription, its views and the cap on live streams. */
  live: Live;
}

/** Everything a route may be given; each `xxxRoutes(deps)` takes a `Pick` of exactly what it uses. */
export type RouteDeps = AppDeps & AppServices;

/**
 * What every request's context carries: its logger and id, its class's rate limits, and the principal
 * once authenticated.
 */
export type AppEnv = { Variables: AuthVariables & RateLimitVariables & { log: Logger; requestId: string } };
