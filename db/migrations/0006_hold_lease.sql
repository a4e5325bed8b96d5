-- Up Migration
-- The hold is a lease (DESIGN.md, invariant 5): a held seat whose held_until lapsed more than a grace
-- period ago belongs to a checkout whose workflow is gone (terminated, lost) and will never release it,
-- so it is back on sale. hold_seats_v3 is hold_seats_v2 (0004) that says so where seats are read:
-- - a seat whose lease lapsed beyond p_grace_seconds is taken like a free one, in two audited
--   transitions: the lapse (held -> available, actor `system`, the lapsed reservation named), then
--   the hold;
-- - the buyer limit no longer counts the buyer's own lapsed holds (else a terminated checkout would
--   lock its buyer out of the event for good).
-- The answer gains the lapsed seats (lapsedIds, lapsedSections, lapsedVersions) for the seat map.
-- A new name because the signature changed (the grace); hold_seats_v2 stays for processes still
-- running the old code until they are redeployed.

-- Finds the lapsed holds of an event without scanning its seats: normally an empty range.
create index seats_lease_idx on seats (event_id, held_until) where status = 'held';

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
  v_hold_seconds integer;
  v_limit integer;
  v_sales_open_at timestamptz;
  v_currency text;
  v_wanted integer := coalesce(cardinality(p_seat_ids), p_quantity);
  -- A hold whose lease ended before this is lapsed.
  v_cutoff timestamptz := now() - make_interval(secs => p_grace_seconds);
  v_already integer;
  v_picked text[];
  v_candidate text[];
  v_held_until timestamptz;
  v_row record;
  v_ids text[] := '{}';
  v_sections text[] := '{}';
  v_prices bigint[] := '{}';
  v_versions integer[] := '{}';
  v_places integer[] := '{}';
  v_statuses text[];
  v_unknown text[];
  v_lapsed_ids text[] := '{}';
  v_lapsed_sections text[] := '{}';
  v_lapsed_versions integer[] := '{}';
begin
  -- One hold at a time per buyer and event, until commit: the idempotency check and the buyer limit
  -- (held + sold) below then see every earlier hold of this buyer, even a concurrent one.
  select e.hold_seconds, e.max_seats_per_buyer, e.sales_open_at, e.currency
    into v_hold_seconds, v_limit, v_sales_open_at, v_currency
    from events e, pg_advisory_xact_lock(hashtextextended(p_event_id || '/' || p_buyer_id, 0))
   where e.id = p_event_id;
  if not found then
    return jsonb_build_object('error', 'EVENT_NOT_FOUND');
  end if;

  -- A repeat of a hold that succeeded returns what the reservation owns, whatever it asks for now.
  select array_agg(s.seat_id), array_agg(s.section_id), array_agg(s.price), array_agg(s.version),
         array_agg(s.row_position * 100000 + s.position), array_agg(s.status), max(s.held_until)
    into v_ids, v_sections, v_prices, v_versions, v_places, v_statuses, v_held_until
    from (select * from seats where reservation_id = p_reservation_id offset 0) s
   where s.event_id = p_event_id;
  if v_ids is not null then
    return jsonb_build_object('ids', v_ids, 'sections', v_sections, 'prices', v_prices, 'versions', v_versions,
                              'places', v_places, 'statuses', v_statuses, 'currency', v_currency,
                              'holdSeconds', v_hold_seconds, 'heldUntil', v_held_until, 'repeat', true);
  end if;
  v_ids := '{}';

  if v_sales_open_at is not null and v_sales_open_at > now() then
    return jsonb_build_object('error', 'SALES_NOT_OPEN', 'salesOpenAt', v_sales_open_at);
  end if;

  select count(*) into v_already
    from seats s
   where s.event_id = p_event_id and s.buyer_id = p_buyer_id
     and not coalesce(s.status = 'held' and s.held_until < v_cutoff, false);
  if v_already + v_wanted > v_limit then
    return jsonb_build_object('error', 'BUYER_LIMIT_EXCEEDED', 'limit', v_limit, 'alreadyHeld', v_already,
                              'requested', v_wanted);
  end if;

  -- Lapse the lapsed holds among the seats this hold may take (the wanted seats, or the section), in
  -- seat-id order like any explicit hold. A concurrent hold lapsing the same seat waits here and then
  -- finds it no longer held, so each lapse is audited once. The lapse stands even if this hold is
  -- refused below: the lease had lapsed either way.
  for v_row in
    with lapsed as (
      select s.seat_id, s.reservation_id, s.held_until
        from seats s
       where s.event_id = p_event_id and s.status = 'held' and s.held_until < v_cutoff
         and (s.seat_id = any(p_seat_ids) or (p_seat_ids is null and s.section_id = p_section_id))
       order by s.seat_id
         for update
    )
    update seats s
       set status = 'available', reservation_id = null, buyer_id = null, held_until = null,
           version = s.version + 1
      from lapsed l
     where s.event_id = p_event_id and s.seat_id = l.seat_id
    returning s.seat_id, s.section_id, s.version, l.reservation_id as lapsed_reservation_id,
              l.held_until as lapsed_at
  loop
    v_lapsed_ids := v_lapsed_ids || v_row.seat_id;
    v_lapsed_sections := v_lapsed_sections || v_row.section_id;
    v_lapsed_versions := v_lapsed_versions || v_row.version;
    insert into seat_events (event_id, seat_id, from_status, to_status, reservation_id, actor, reason)
    values (p_event_id, v_row.seat_id, 'held', 'available', v_row.lapsed_reservation_id, 'system',
            format('lease lapsed: reservation %s held the seat until %s and nothing released it within the %s s grace',
                   v_row.lapsed_reservation_id, v_row.lapsed_at, p_grace_seconds));
  end loop;

  if p_seat_ids is not null then
    -- Straight to the conditional UPDATE below: the API's cache already turned away most requests for
    -- seats that are taken, so the few that lose a race pay for the undo instead of every hold paying
    -- for a read first.
    v_picked := p_seat_ids;
  elsif not coalesce(p_adjacent, false) then
    -- Best available: front rows first, skipping seats other holds have locked instead of waiting.
    v_picked := array(
      select s.seat_id
        from seats s
       where s.event_id = p_event_id and s.section_id = p_section_id and s.status = 'available'
       order by s.row_position, s.position
       limit v_wanted
         for update skip locked);
  else
    -- Adjacent: cut every run of consecutive free seats of a row into disjoint blocks of p_quantity,
    -- front rows first, and take the first block no other hold has locked. Disjoint blocks let
    -- concurrent holders of one hot section land on different blocks instead of all on the first.
    for v_candidate in
      select array_agg(t.seat_id order by t.position)
        from (
          select f.seat_id, f.row_position, f.position, f.run,
                 (row_number() over (partition by f.row_position, f.run order by f.position) - 1)
                   / p_quantity as block
            from (
              select s.seat_id, s.row_position, s.position,
                     s.position - row_number() over (partition by s.row_position order by s.position) as run
                from seats s
               where s.event_id = p_event_id and s.section_id = p_section_id and s.status = 'available'
            ) f
        ) t
       group by t.row_position, t.run, t.block
      having count(*) = p_quantity
       order by t.row_position, min(t.position)
       limit 256
    loop
      select coalesce(array_agg(l.seat_id) filter (where l.status = 'available'), '{}')
        into v_picked
        from (
          select s.seat_id, s.status
            from seats s
           where s.event_id = p_event_id and s.seat_id = any(v_candidate)
             for update skip locked
        ) l;
      exit when cardinality(v_picked) = v_wanted;
    end loop;
  end if;

  if coalesce(cardinality(v_picked), 0) < v_wanted then
    if not exists (select 1 from sections c where c.event_id = p_event_id and c.section_id = p_section_id) then
      return jsonb_build_object('error', 'UNKNOWN_SECTION', 'section', p_section_id);
    end if;
    return jsonb_build_object('error', 'SEATS_UNAVAILABLE', 'unavailableSeatIds', '[]'::jsonb,
                              'section', p_section_id, 'requested', v_wanted);
  end if;

  -- The conditional UPDATE is the judge: it takes only seats nobody owns (reservation_id is null is
  -- status = 'available' by the seats CHECK, written so no cached plan picks the partial index).
  v_held_until := now() + make_interval(secs => v_hold_seconds);
  for v_row in
    update seats s
       set status = 'held', reservation_id = p_reservation_id, buyer_id = p_buyer_id,
           held_until = v_held_until, version = s.version + 1
     where s.event_id = p_event_id and s.seat_id = any(v_picked) and s.reservation_id is null
    returning s.seat_id, s.section_id, s.price, s.version, s.row_position * 100000 + s.position as place
  loop
    v_ids := v_ids || v_row.seat_id;
    v_sections := v_sections || v_row.section_id;
    v_prices := v_prices || v_row.price;
    v_versions := v_versions || v_row.version;
    v_places := v_places || v_row.place;
  end loop;

  if cardinality(v_ids) < v_wanted then
    -- Some wanted seat is taken or does not exist: give back what this hold took (never committed, so
    -- never seen by anyone) and say which seats were the problem.
    update seats s
       set status = 'available', reservation_id = null, buyer_id = null, held_until = null,
           version = s.version + 1
     where s.event_id = p_event_id and s.seat_id = any(v_ids);
    v_unknown := array(
      select w.id from unnest(v_picked) w(id)
      except select s.seat_id from seats s where s.event_id = p_event_id and s.seat_id = any(v_picked)
      order by 1);
    if cardinality(v_unknown) > 0 then
      return jsonb_build_object('error', 'UNKNOWN_SEATS', 'unknownSeatIds', to_jsonb(v_unknown));
    end if;
    return jsonb_build_object('error', 'SEATS_UNAVAILABLE', 'unavailableSeatIds', to_jsonb(array(
      select w.id from unnest(v_picked) w(id) except select unnest(v_ids) order by 1)));
  end if;

  insert into seat_events (event_id, seat_id, from_status, to_status, reservation_id, actor, reason)
  select p_event_id, w.id, 'available', 'held', p_reservation_id, p_actor, 'hold' from unnest(v_ids) w(id);

  return jsonb_build_object('ids', v_ids, 'sections', v_sections, 'prices', v_prices, 'versions', v_versions,
                            'places', v_places, 'currency', v_currency, 'holdSeconds', v_hold_seconds,
                            'heldUntil', v_held_until, 'repeat', false, 'lapsedIds', v_lapsed_ids,
                            'lapsedSections', v_lapsed_sections, 'lapsedVersions', v_lapsed_versions);
end;
$$;

-- Down Migration
drop function hold_seats_v3(text, text, text, text[], text, integer, boolean, text, integer);
drop index seats_lease_idx;
