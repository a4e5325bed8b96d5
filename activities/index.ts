// Owns the activity registry: builds every activity from its dependencies so the worker injects real
// clients and tests inject what they need. Payment activities run on their own, rate-limited queue.
import type { Config } from '../src/config';
import type { Pool } from '../src/db';
import type { Logger } from '../src/logger';
import type { Redis } from '../src/redis';
import type { Stripe } from '../src/stripe';
import { createInventoryActivities } from './inventory';
import { createPaymentActivities as createGatewayActivities } from './payments';
import { createProbeActivities } from './probe';

export interface ActivityDeps {
  config: Config;
  pool: Pool;
  redis: Redis;
  stripe: Stripe;
  log: Logger;
}

/** Activities of the main task queue: inventory, orders, bookkeeping. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProbeActivities(),
    ...createInventoryActivities(deps),
  };
}

/** Activities of the payment task queue: every call that reaches the payment gateway. */
export function createPaymentActivities(deps: ActivityDeps) {
  return {
    ...createGatewayActivities(deps),
  };
}
