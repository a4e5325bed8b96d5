-- Owns what apply.lua and fill.lua share; scripts.ts puts it in front of each of them.

-- Parses a status value "<version>:<code>[:<offset>]" into version (-1 when absent), code, offset (or false).
local function parse(value)
  if not value then return -1, false, false end
  local sep = string.find(value, ':', 1, true)
  local offset = false
  if #value > sep + 1 then offset = string.sub(value, sep + 3) end
  return tonumber(string.sub(value, 1, sep - 1)), string.sub(value, sep + 1, sep + 1), offset
end

-- Counts one seat moving from oldStatus (false: not in the map yet) to status, per "<section>:<code>".
local function count(delta, section, oldStatus, status)
  if oldStatus == status then return end
  if oldStatus then
    delta[section .. ':' .. oldStatus] = (delta[section .. ':' .. oldStatus] or 0) - 1
  end
  delta[section .. ':' .. status] = (delta[section .. ':' .. status] or 0) + 1
end

-- Keeps the lease set in step with a seat's status: a held seat's held_until (ms) goes in, any other
-- seat comes out. Collected per script run and written with one ZADD and one ZREM.
local function lease(adds, removes, seat, status, heldUntil)
  if status == 'h' and heldUntil ~= '' then
    adds[#adds + 1] = heldUntil
    adds[#adds + 1] = seat
  else
    removes[#removes + 1] = seat
  end
end

local function flushLeases(leases, adds, removes)
  if #adds > 0 then redis.call('ZADD', leases, unpack(adds)) end
  if #removes > 0 then redis.call('ZREM', leases, unpack(removes)) end
end

-- Moves the counts hash by the net changes only, so counters move only with a seat's status.
local function flush(counts, delta)
  for field, change in pairs(delta) do
    if change ~= 0 then redis.call('HINCRBY', counts, field, change) end
  end
end

-- The map's next version. A map without one (new, or lost with Redis's data) starts from the clock in
-- milliseconds, so versions never go back below one a client saw before: a resume from an old version
-- then finds a gap and gets a snapshot instead of another map's transitions.
local function nextVersion(versionKey)
  if redis.call('EXISTS', versionKey) == 0 then
    local now = redis.call('TIME')
    redis.call('SET', versionKey, tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))
  end
  return redis.call('INCR', versionKey)
end

-- Records the status changes of one script run: each takes the next version and goes into the capped
-- log a reconnecting client resumes from; then one PUBLISH tells every API process, in version order
-- (scripts run one at a time), so the live feed is atomic with the map it describes.
-- live = { version, log, channel, cap }; moves = { {seat, code}, ... }.
local function publishMoves(live, moves)
  if #moves == 0 then return end
  local changes = {}
  for i = 1, #moves do
    local version = nextVersion(live.version)
    redis.call('XADD', live.log, 'MAXLEN', live.cap, '0-' .. version, 's', moves[i][1], 'c', moves[i][2])
    changes[i] = { version, moves[i][1], moves[i][2] }
  end
  redis.call('PUBLISH', live.channel, cjson.encode({ t = 'seats', c = changes }))
end
