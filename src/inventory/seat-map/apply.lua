-- Owns the write-through of committed seat transitions, by the version rule (a lower version never
-- overwrites a higher one), and the map's version that moves with them.
-- KEYS[1] the counts hash, KEYS[2] the lease set; then for change i KEYS[2i + 1] its section's status
-- hash and KEYS[2i + 2] its section's codes string. ARGV per change: seatId, section, version, status
-- code, held_until in ms ('' unless held). The codes string gets the new status when the seat's
-- offset is known (from its section's first fill onwards).
local counts, leases = KEYS[1], KEYS[2]
local delta, adds, removes = {}, {}, {}
for i = 1, (#KEYS - 2) / 2 do
  local statusKey, codesKey = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local base = (i - 1) * 5
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
    bump(delta, oldVersion, version)
  end
end
flush(counts, delta)
flushLeases(leases, adds, removes)
return 1
