-- Owns a fill's write of a run of consecutive seats of one section, by the same version rule as
-- apply.lua, with one HMGET, one HSET and one SETRANGE instead of a few commands per seat.
-- KEYS[1] the counts hash, KEYS[2] the section's status hash, KEYS[3] the section's codes string,
-- KEYS[4] the lease set, KEYS[5] the map's version, KEYS[6] the transition log. ARGV[1] the live
-- channel, ARGV[2] the log's cap, ARGV[3] the section, ARGV[4] the run's first offset, then per seat in
-- layout order: seatId, version, code, held_until in ms ('' unless held).
-- A seat the map showed in another status (a write-through that never arrived) is a transition, as in
-- apply.lua. Seats the map did not have yet are no transition anyone saw: they move the version without
-- a log entry and publish a resync, so a client that was watching (Redis lost its data) takes a snapshot.
local counts, statusKey, codesKey, leases = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local live = { version = KEYS[5], log = KEYS[6], channel = ARGV[1], cap = ARGV[2] }
local section, first = ARGV[3], tonumber(ARGV[4])
local n = (#ARGV - 4) / 4
local ids = {}
for i = 1, n do ids[i] = ARGV[5 + (i - 1) * 4] end
local olds = redis.call('HMGET', statusKey, unpack(ids))
local writes, codes, delta, adds, removes, moves = {}, {}, {}, {}, {}, {}
local placed = false
for i = 1, n do
  local version, status = tonumber(ARGV[6 + (i - 1) * 4]), ARGV[7 + (i - 1) * 4]
  local offset = first + i - 1
  local oldVersion, oldStatus, oldOffset = parse(olds[i])
  if version >= oldVersion then lease(adds, removes, ids[i], status, ARGV[8 + (i - 1) * 4]) end
  if version > oldVersion then
    writes[#writes + 1] = ids[i]
    writes[#writes + 1] = version .. ':' .. status .. ':' .. offset
    codes[i] = status
    count(delta, section, oldStatus, status)
    if not oldStatus then
      placed = true
    elseif oldStatus ~= status then
      moves[#moves + 1] = { ids[i], status }
    end
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
publishMoves(live, moves)
if placed then
  redis.call('PUBLISH', live.channel, cjson.encode({ t = 'resync', v = nextVersion(live.version) }))
end
return 1
