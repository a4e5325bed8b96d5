// Owns the activity registry: builds every activity from its dependencies so the worker injects real
// clients and tests inject what they need. Payment activities run on their own, rate-limited queue.

import { createSeatMap } from '../src/inventory/seat-map';
import type { Config } from '../src/platform/config';
import type { Pool } from '../src/platform/db';
import type { Logger } from '../src/platform/logger';
import type { Redis } from '../src/platform/redis';
import type { Stripe } from '../src/platform/stripe';
import { createInventoryActivities } from './inventory';
import { createOnsaleActivities } from './onsale';
import { createOrderActivities } from './orders';
import { createPaymentActivities } from './payments';
import { createRefundActivities } from './refunds';
import { createWorkflowStatusActivities } from './workflow-status';

export interface ActivityDeps {
  config: Config;
  pool: Pool;
  redis: Redis;
  stripe: Stripe;
  log: Logger;
}

/** Activities of the main task queue: inventory, orders, bookkeeping. */
export function createMainQueueActivities(deps: ActivityDeps) {
  // One seat map per process, so every write-through shares its version ordering and Redis health.
  const seatMap = createSeatMap(deps);
  return {
    ...createInventoryActivities({ ...deps, seatMap }),
    ...createOrderActivities({ ...deps, seatMap }),
    ...createRefundActivities({ ...deps, seatMap }),
    ...createWorkflowStatusActivities(),
    ...createOnsaleActivities(deps),
  };
}

/** Activities of the payment task queue: every call that reaches the payment gateway. */
export function createPaymentQueueActivities(deps: ActivityDeps) {
  return createPaymentActivities(deps);
}
