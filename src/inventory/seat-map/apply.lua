-- Owns the write-through of committed seat transitions, by the version rule (a lower version never
-- overwrites a higher one).
-- KEYS[1] the counts hash; then for change i KEYS[2i] its section's status hash and KEYS[2i + 1] its
-- section's codes string. ARGV per change: seatId, section, version, status code. The codes string
-- gets the new status when the seat's offset is known (from its section's first fill onwards).
local counts = KEYS[1]
local delta = {}
for i = 1, (#KEYS - 1) / 2 do
  local statusKey, codesKey = KEYS[2 * i], KEYS[2 * i + 1]
  local base = (i - 1) * 4
  local seat, section, version, status = ARGV[base + 1], ARGV[base + 2], tonumber(ARGV[base + 3]), ARGV[base + 4]
  local oldVersion, oldStatus, offset = parse(redis.call('HGET', statusKey, seat))
  if version > oldVersion then
    if offset then
      redis.call('HSET', statusKey, seat, version .. ':' .. status .. ':' .. offset)
      redis.call('SETRANGE', codesKey, tonumber(offset), status)
    else
      redis.call('HSET', statusKey, seat, version .. ':' .. status)
    end
    count(delta, section, oldStatus, status)
  end
end
flush(counts, delta)
return 1
