-- Up Migration
-- Drops hold_seats (migrations 0002 and 0003). 0004 kept it beside hold_seats_v2 so processes still
-- running the old code kept working until redeployed; every process now calls hold_seats_v2 and nothing
-- calls hold_seats, so it only invites a caller back to the old answer's shape.

drop function hold_seats(text, text, text, text[], text, integer, boolean, text);

-- Down Migration
-- hold_seats exactly as 0003 left it, for a rollback to code that still calls it.
create function hold_seats(
  p_event_id text,
  p_reservation_id text,
  p_buyer_id text,
  p_seat_ids text[],
  p_section_id text,
  p_quantity integer,
  p_adjacent boolean,
  p_actor text
) returns jsonb
language plpgsql
as $$
declare
  v_hold_seconds integer;
  v_limit integer;
  v_sales_open_at timestamptz;
  v_currency text;
  v_wanted integer := coalesce(cardinality(p_seat_ids), p_quantity);
  v_already integer;
  v_picked text[];
  v_found text[];
  v_candidate text[];
  v_unknown text[];
  v_held_until timestamptz;
  v_seats jsonb;
begin
  select e.hold_seconds, e.max_seats_per_buyer, e.sales_open_at, e.currency
    into v_hold_seconds, v_limit, v_sales_open_at, v_currency
    from events e
   where e.id = p_event_id;
  if not found then
    return jsonb_build_object('error', 'EVENT_NOT_FOUND');
  end if;

  -- One hold at a time per buyer and event, until commit: the idempotency check and the buyer limit
  -- (held + sold) below then see every earlier hold of this buyer, even a concurrent one.
  perform pg_advisory_xact_lock(hashtextextended(p_event_id || '/' || p_buyer_id, 0));

  -- A repeat of a hold that succeeded returns what the reservation owns, whatever it asks for now.
  select jsonb_agg(
           jsonb_build_object('id', s.seat_id, 'section', s.section_id, 'price', s.price,
                              'status', s.status, 'version', s.version)
           order by s.section_id, s.row_position, s.position),
         max(s.held_until)
    into v_seats, v_held_until
    from (select * from seats where reservation_id = p_reservation_id offset 0) s
   where s.event_id = p_event_id;
  if v_seats is not null then
    return jsonb_build_object('seats', v_seats, 'currency', v_currency, 'holdSeconds', v_hold_seconds,
                              'heldUntil', v_held_until, 'repeat', true);
  end if;

  if v_sales_open_at is not null and v_sales_open_at > now() then
    return jsonb_build_object('error', 'SALES_NOT_OPEN', 'salesOpenAt', v_sales_open_at);
  end if;

  select count(*) into v_already from seats s where s.event_id = p_event_id and s.buyer_id = p_buyer_id;
  if v_already + v_wanted > v_limit then
    return jsonb_build_object('error', 'BUYER_LIMIT_EXCEEDED', 'limit', v_limit, 'alreadyHeld', v_already,
                              'requested', v_wanted);
  end if;

  if p_seat_ids is not null then
    -- Lock the wanted seats in seat-id order, whatever their status: two explicit holds queue in the
    -- same order (no deadlock), the locked rows show their latest status, and nothing is written
    -- until every wanted seat is ours.
    select coalesce(array_agg(l.seat_id) filter (where l.status = 'available'), '{}'),
           coalesce(array_agg(l.seat_id), '{}')
      into v_picked, v_found
      from (
        select s.seat_id, s.status
          from seats s
         where s.event_id = p_event_id and s.seat_id = any(p_seat_ids)
         order by s.seat_id
           for update
      ) l;
    if cardinality(v_picked) < v_wanted then
      v_unknown := array(select w.id from unnest(p_seat_ids) w(id) except select unnest(v_found) order by 1);
      if cardinality(v_unknown) > 0 then
        return jsonb_build_object('error', 'UNKNOWN_SEATS', 'unknownSeatIds', to_jsonb(v_unknown));
      end if;
      return jsonb_build_object('error', 'SEATS_UNAVAILABLE', 'unavailableSeatIds', to_jsonb(array(
        select w.id from unnest(p_seat_ids) w(id) except select unnest(v_picked) order by 1)));
    end if;
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

  v_held_until := now() + make_interval(secs => v_hold_seconds);
  with held as (
    update seats s
       set status = 'held', reservation_id = p_reservation_id, buyer_id = p_buyer_id,
           held_until = v_held_until, version = s.version + 1
     where s.event_id = p_event_id and s.seat_id = any(v_picked)
    returning s.seat_id, s.section_id, s.row_position, s.position, s.price, s.version
  ), audit as (
    insert into seat_events (event_id, seat_id, from_status, to_status, reservation_id, actor, reason)
    select p_event_id, h.seat_id, 'available', 'held', p_reservation_id, p_actor, 'hold' from held h
  )
  select jsonb_agg(
           jsonb_build_object('id', h.seat_id, 'section', h.section_id, 'price', h.price,
                              'status', 'held', 'version', h.version)
           order by h.section_id, h.row_position, h.position)
    into v_seats
    from held h;
  return jsonb_build_object('seats', v_seats, 'currency', v_currency, 'holdSeconds', v_hold_seconds,
                            'heldUntil', v_held_until, 'repeat', false);
end;
$$;
