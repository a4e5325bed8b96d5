-- Up Migration
-- The hold is a lease (DESIGN.md, invariant 5): a held seat whose held_until lapsed more than a grace
-- period ago belongs to a checkout whose workflow is gone (terminated, lost) and will never release it,
-- so it is back on sale. hold_seats_v3 is hold_seats_v2 (0004) preceded by the lapse of every hold the
-- new one may take or that counts against its buyer:
-- - a seat whose lease lapsed beyond p_grace_seconds is taken like a free one, in two audited
--   transitions: the lapse (held -> available, actor `system`, the lapsed reservation named), then
--   the hold;
-- - the buyer limit no longer counts the buyer's own lapsed holds (else a terminated checkout would
--   lock its buyer out of the event for good).
-- The answer gains the lapsed seats (lapsedIds, lapsedSections, lapsedVersions) for the seat map.
-- A new name because the signature changed (the grace); hold_seats_v2 stays, called by v3 and by
-- processes still running the old code until they are redeployed.

-- Finds the lapsed holds of an event without scanning its seats: normally an empty range.
create index seats_lease_idx on seats (event_id, held_until) where status = 'held';

-- Lapses the holds a hold of p_reservation_id may take (the wanted seats, or the section) and those of
-- its buyer, in seat-id order like any explicit hold. A concurrent hold lapsing the same seat waits on
-- its row and then finds it no longer held, so each lapse is audited once. A lapse stands even if the
-- hold is refused afterwards: the lease had lapsed either way.
create function lapse_holds(
  p_event_id text,
  p_reservation_id text,
  p_buyer_id text,
  p_seat_ids text[],
  p_section_id text,
  p_grace_seconds integer
) returns table (seat_id text, section_id text, version integer)
language sql
as $$
  with lapsed as (
    select s.seat_id, s.reservation_id, s.held_until
      from seats s
     where s.event_id = p_event_id and s.status = 'held'
       and s.held_until < now() - make_interval(secs => p_grace_seconds)
       and s.reservation_id <> p_reservation_id
       and (s.seat_id = any(p_seat_ids) or (p_seat_ids is null and s.section_id = p_section_id)
            or s.buyer_id = p_buyer_id)
     order by s.seat_id
       for update
  ), released as (
    update seats s
       set status = 'available', reservation_id = null, buyer_id = null, held_until = null,
           version = s.version + 1
      from lapsed l
     where s.event_id = p_event_id and s.seat_id = l.seat_id
    returning s.seat_id, s.section_id, s.version, l.reservation_id as lapsed_reservation_id,
              l.held_until as lapsed_at
  ), audited as (
    insert into seat_events (event_id, seat_id, from_status, to_status, reservation_id, actor, reason)
    select p_event_id, r.seat_id, 'held', 'available', r.lapsed_reservation_id, 'system',
           format('lease lapsed: reservation %s held the seat until %s and nothing released it within the %s s grace',
                  r.lapsed_reservation_id, r.lapsed_at, p_grace_seconds)
      from released r
  )
  select r.seat_id, r.section_id, r.version from released r order by r.seat_id;
$$;

create function hold_seats_v3(
  p_event_id text,
  p_reservation_id text,
  p_buyer_id text,
  p_seat_ids text[],
  p_section_id text,
  p_quantity integer,
  p_adjacent boolean,
  p_actor text,
  p_grace_seconds integer
) returns jsonb
language plpgsql
as $$
declare
  v_ids text[];
  v_sections text[];
  v_versions integer[];
  v_answer jsonb;
begin
  -- The buyer's lock before any row lock, as in hold_seats_v2, which takes it again (advisory locks
  -- stack within a transaction): every hold locks in the same order, so the lapse adds no deadlock.
  perform pg_advisory_xact_lock(hashtextextended(p_event_id || '/' || p_buyer_id, 0));
  select coalesce(array_agg(l.seat_id), '{}'), coalesce(array_agg(l.section_id), '{}'),
         coalesce(array_agg(l.version), '{}')
    into v_ids, v_sections, v_versions
    from lapse_holds(p_event_id, p_reservation_id, p_buyer_id, p_seat_ids, p_section_id, p_grace_seconds) l;
  v_answer := hold_seats_v2(p_event_id, p_reservation_id, p_buyer_id, p_seat_ids, p_section_id, p_quantity,
                            p_adjacent, p_actor);
  -- A refusal keeps its own details; the seat map learns a refused hold's lapses from the lease it keeps.
  if v_answer ? 'error' then
    return v_answer;
  end if;
  return v_answer || jsonb_build_object('lapsedIds', to_jsonb(v_ids), 'lapsedSections', to_jsonb(v_sections),
                                        'lapsedVersions', to_jsonb(v_versions));
end;
$$;

-- Down Migration
drop function hold_seats_v3(text, text, text, text[], text, integer, boolean, text, integer);
drop function lapse_holds(text, text, text, text[], text, integer);
drop index seats_lease_idx;
