-- Takes a session slot for a buyer whose luck came up, atomically: the queue token is consumed once, a
-- buyer gets one admission per event, and at most ARGV[2] sessions are live at once.
-- KEYS: 1 sessions (zset: session id -> expiry ms), 2 the buyer's admission (string "sid expiryMs"),
--       3 the queue token's consumed marker, 4 admitted total (counter)
-- ARGV: 1 now ms, 2 session cap, 3 new session id, 4 its expiry ms, 5 consumed marker ttl s,
--       6 admission record ttl s
-- Returns {'admitted'} | {'live', sid, expiryMs} | {'ended'} | {'used'} | {'full'}
if redis.call('EXISTS', KEYS[3]) == 1 then return {'used'} end
local prior = redis.call('GET', KEYS[2])
if prior then
  local sid, expiry = string.match(prior, '^(%S+) (%d+)$')
  local score = redis.call('ZSCORE', KEYS[1], sid)
  if score and tonumber(expiry) > tonumber(ARGV[1]) then return {'live', sid, expiry} end
  return {'ended'}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return {'full'} end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('SET', KEYS[2], ARGV[3] .. ' ' .. ARGV[4], 'EX', ARGV[6])
redis.call('SET', KEYS[3], '1', 'EX', ARGV[5])
redis.call('INCR', KEYS[4])
return {'admitted'}
