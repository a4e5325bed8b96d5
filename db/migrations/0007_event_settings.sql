-- Up Migration
-- What an organizer may change after creating an event (PATCH /v1/events/{eventId}): its waiting room's
-- settings (DESIGN.md, "Flash-sale front door"; null: the event has no waiting room), and the time of
-- the last change, which is part of the event's ETag so a cached copy is told apart from an edited one.
alter table events add column waiting_room jsonb;
alter table events add column updated_at timestamptz not null default now();

-- Down Migration
alter table events drop column updated_at;
alter table events drop column waiting_room;
