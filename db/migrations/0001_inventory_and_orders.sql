-- Up Migration
-- Seats, reservations, orders, payments and their audit trails. Postgres is the source of truth for
-- who owns a seat. Every table that grows with sales carries event_id first in its keys so it can be
-- hash- or list-partitioned by event later without changing a query (see docs/architecture.md).

create table events (
  id text primary key,
  name text not null,
  venue text not null,
  starts_at timestamptz not null,
  currency char(3) not null,
  hold_seconds integer not null check (hold_seconds > 0),
  max_seats_per_buyer integer not null check (max_seats_per_buyer > 0),
  sales_open_at timestamptz,
  -- Event policy: does a full refund return the seats to sale?
  refund_releases_seats boolean not null default true,
  total_seats integer not null,
  created_by text not null,
  created_at timestamptz not null default now()
);

create table sections (
  event_id text not null references events (id),
  section_id text not null,
  name text not null,
  price bigint not null check (price > 0),
  position integer not null,
  primary key (event_id, section_id)
);

create table seats (
  event_id text not null,
  seat_id text not null,
  section_id text not null,
  row_id text not null,
  -- The seat's label within its row ("1", "A", "12b").
  number text not null,
  -- Order of the seat within its row; adjacency means consecutive positions in one row.
  position integer not null,
  -- Order of the row within its section, for best-available (front rows first).
  row_position integer not null,
  price bigint not null,
  status text not null default 'available' check (status in ('available', 'held', 'sold')),
  reservation_id text,
  buyer_id text,
  held_until timestamptz,
  order_id text,
  version integer not null default 0,
  primary key (event_id, seat_id),
  foreign key (event_id, section_id) references sections (event_id, section_id),
  -- A seat is owned by a reservation exactly when it is not available.
  check ((status = 'available') = (reservation_id is null)),
  check ((status = 'sold') = (order_id is not null))
);

-- Best-available scans only free seats of one section in row/seat order.
create index seats_available_idx on seats (event_id, section_id, row_position, position)
  where status = 'available';
create index seats_reservation_idx on seats (reservation_id) where reservation_id is not null;
create index seats_buyer_idx on seats (event_id, buyer_id) where buyer_id is not null;
create index seats_order_idx on seats (order_id) where order_id is not null;

-- One row per checkout, written by the reservation workflow's activities, so a finished reservation
-- can be read (and audited) without its workflow.
create table reservations (
  id text primary key,
  event_id text not null references events (id),
  buyer_id text not null,
  status text not null,
  seat_ids text[] not null default '{}',
  amount bigint not null default 0,
  currency char(3) not null,
  expires_at timestamptz,
  order_id text,
  reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index reservations_buyer_idx on reservations (buyer_id, created_at desc);
create index reservations_event_idx on reservations (event_id, status);

create table orders (
  id text primary key,
  reservation_id text not null unique references reservations (id),
  event_id text not null references events (id),
  buyer_id text not null,
  amount bigint not null check (amount >= 0),
  refunded_amount bigint not null default 0 check (refunded_amount >= 0 and refunded_amount <= amount),
  currency char(3) not null,
  payment_intent_id text not null,
  status text not null check (status in ('PAID', 'REFUNDED', 'PARTIALLY_REFUNDED')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index orders_buyer_idx on orders (buyer_id, created_at desc);
create index orders_event_idx on orders (event_id);
create index orders_payment_intent_idx on orders (payment_intent_id);

create table tickets (
  order_id text not null references orders (id),
  event_id text not null,
  seat_id text not null,
  code text not null unique,
  status text not null default 'VALID' check (status in ('VALID', 'VOID')),
  created_at timestamptz not null default now(),
  primary key (order_id, seat_id)
);
create index tickets_seat_idx on tickets (event_id, seat_id);

-- Payment audit: written REQUESTED before the gateway call, completed after it.
create table payments (
  id bigint generated always as identity primary key,
  reservation_id text not null references reservations (id),
  order_id text references orders (id),
  attempt integer not null,
  idempotency_key text not null unique,
  payment_method_id text not null,
  payment_intent_id text,
  amount bigint not null,
  currency char(3) not null,
  status text not null check (status in ('REQUESTED', 'SUCCEEDED', 'DECLINED', 'FAILED', 'CANCELED', 'PROCESSING')),
  error_code text,
  error_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (reservation_id, attempt)
);
create index payments_payment_intent_idx on payments (payment_intent_id);

-- Refund audit: same shape of life as payments.
create table refunds (
  id text primary key,
  order_id text references orders (id),
  reservation_id text not null references reservations (id),
  payment_intent_id text not null,
  idempotency_key text not null unique,
  stripe_refund_id text,
  amount bigint not null check (amount > 0),
  currency char(3) not null,
  reason text not null,
  actor text not null,
  status text not null check (status in ('REQUESTED', 'SUCCEEDED', 'FAILED')),
  error_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index refunds_order_idx on refunds (order_id);
create index refunds_payment_intent_idx on refunds (payment_intent_id);

-- Append-only audit of every seat transition, written in the same transaction as the transition.
create table seat_events (
  id bigint generated always as identity primary key,
  event_id text not null,
  seat_id text not null,
  from_status text not null,
  to_status text not null,
  reservation_id text,
  order_id text,
  actor text not null,
  reason text not null,
  at timestamptz not null default clock_timestamp()
);
create index seat_events_seat_idx on seat_events (event_id, seat_id, id);
create index seat_events_reservation_idx on seat_events (reservation_id);

create function seat_events_are_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'seat_events is append-only';
end;
$$;
create trigger seat_events_append_only before update or delete on seat_events
  for each statement execute function seat_events_are_append_only();

-- Stripe webhook events, processed once each.
create table webhook_events (
  id text primary key,
  type text not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz
);

-- Down Migration
drop table webhook_events;
drop trigger seat_events_append_only on seat_events;
drop function seat_events_are_append_only();
drop table seat_events, refunds, payments, tickets, orders, reservations, seats, sections, events;
