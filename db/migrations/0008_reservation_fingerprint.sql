-- Up Migration
-- The request a reservation was held for (its Idempotency-Key's fingerprint, src/checkout/reservation-id.ts),
-- recorded with the hold, so a retried POST whose workflow still runs is answered from Postgres and the
-- workflow's search attributes instead of a query that waits behind the worker's backlog. Null for
-- reservations recorded before it; those are still answered by their workflow.
alter table reservations add column request_fingerprint text;

-- Down Migration
alter table reservations drop column request_fingerprint;
