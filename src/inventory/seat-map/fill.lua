-- Owns a fill's write of a run of consecutive seats of one section, by the same version rule as
-- apply.lua, with one HMGET, one HSET and one SETRANGE instead of a few commands per seat.
-- KEYS[1] the counts hash, KEYS[2] the section's status hash, KEYS[3] the section's codes string,
-- KEYS[4] the lease set. ARGV[1] the section, ARGV[2] the run's first offset, then per seat in layout
-- order: seatId, version, code, held_until in ms ('' unless held).
local counts, statusKey, codesKey, leases = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local section, first = ARGV[1], tonumber(ARGV[2])
local n = (#ARGV - 2) / 4
local ids = {}
for i = 1, n do ids[i] = ARGV[3 + (i - 1) * 4] end
local olds = redis.call('HMGET', statusKey, unpack(ids))
local writes, codes, delta, adds, removes = {}, {}, {}, {}, {}
for i = 1, n do
  local version, status = tonumber(ARGV[4 + (i - 1) * 4]), ARGV[5 + (i - 1) * 4]
  local offset = first + i - 1
  local oldVersion, oldStatus, oldOffset = parse(olds[i])
  if version >= oldVersion then lease(adds, removes, ids[i], status, ARGV[6 + (i - 1) * 4]) end
  if version > oldVersion then
    writes[#writes + 1] = ids[i]
    writes[#writes + 1] = version .. ':' .. status .. ':' .. offset
    codes[i] = status
    count(delta, section, oldStatus, status)
    bump(delta, oldVersion, version)
  else
    -- A newer write-through got here first: keep it, and give it its offset.
    codes[i] = oldStatus
    if not oldOffset then
      writes[#writes + 1] = ids[i]
      writes[#writes + 1] = oldVersion .. ':' .. oldStatus .. ':' .. offset
    end
  end
end
if #writes > 0 then redis.call('HSET', statusKey, unpack(writes)) end
redis.call('SETRANGE', codesKey, first, table.concat(codes))
flush(counts, delta)
flushLeases(leases, adds, removes)
return 1
