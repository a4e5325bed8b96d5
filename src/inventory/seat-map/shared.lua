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

-- Raises the map's version (the counts hash's `version` field, the sum of its seats' versions) by what a
-- seat's version rose: from oldVersion (-1: not in the map yet, which counts as 0) to version.
local function bump(delta, oldVersion, version)
  delta.version = (delta.version or 0) + version - math.max(oldVersion, 0)
end

-- Moves the counts hash by the net changes only, so counters move only with a seat's status (and the
-- version only with a seat's version).
local function flush(counts, delta)
  for field, change in pairs(delta) do
    if change ~= 0 then redis.call('HINCRBY', counts, field, change) end
  end
end
