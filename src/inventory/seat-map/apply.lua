-- Owns the write-through of committed seat transitions, by the version rule (a lower version never
-- overwrites a higher one), and their publication to the live feed.
-- KEYS[1] the counts hash, KEYS[2] the lease set, KEYS[3] the map's version, KEYS[4] the transition
-- log; then for change i KEYS[2i + 3] its section's status hash and KEYS[2i + 4] its section's codes
-- string. ARGV[1] the live channel, ARGV[2] the log's cap; then per change: seatId, section, version,
-- status code, held_until in ms ('' unless held). The codes string gets the new status when the seat's
-- offset is known (from its section's first fill onwards). A change that moves a seat's status is a
-- transition of the map: versioned, logged and published (a lease moved alone is not).
local counts, leases = KEYS[1], KEYS[2]
local live = { version = KEYS[3], log = KEYS[4], channel = ARGV[1], cap = ARGV[2] }
local delta, adds, removes, moves = {}, {}, {}, {}
for i = 1, (#KEYS - 4) / 2 do
  local statusKey, codesKey = KEYS[2 * i + 3], KEYS[2 * i + 4]
  local base = 2 + (i - 1) * 5
  local seat, section, version, status = ARGV[base + 1], ARGV[base + 2], tonumber(ARGV[base + 3]), ARGV[base + 4]
  local oldVersion, oldStatus, offset = parse(redis.call('HGET', statusKey, seat))
  -- The same version is the same row: writing its lease again also fills in maps from before leases.
  if version >= oldVersion then lease(adds, removes, seat, status, ARGV[base + 5]) end
  if version > oldVersion then
    if offset then
      redis.call('HSET', statusKey, seat, version .. ':' .. status .. ':' .. offset)
      redis.call('SETRANGE', codesKey, tonumber(offset), status)
    else
      redis.call('HSET', statusKey, seat, version .. ':' .. status)
    end
    count(delta, section, oldStatus, status)
    if oldStatus ~= status then moves[#moves + 1] = { seat, status } end
  end
end
flush(counts, delta)
flushLeases(leases, adds, removes)
publishMoves(live, moves)
return 1
