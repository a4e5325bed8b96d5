-- Up Migration
-- Drops hold_seats (migrations 0002 and 0003). 0004 kept it beside hold_seats_v2 so processes still
-- running the old code kept working until redeployed; every process now calls hold_seats_v2 and nothing
-- calls hold_seats, so it only invites a caller back to the old answer's shape.

drop function hold_seats(text, text, text, text[], text, integer, boolean, text);

-- Down Migration
-- Nothing to restore: no code since 0004 calls hold_seats, so rolling back past this migration leaves it
-- dropped (its last definition is in 0003 for anyone who needs to read it).
