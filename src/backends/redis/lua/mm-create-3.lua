--[[
  Adds a searching matchmaking ticket unless one of its players already has an open (searching) ticket.

  KEYS[1] hash player id -> open ticket id, KEYS[2] the queue's zset of searching ticket ids by creation time,
  KEYS[3] the queue's hash of searching ticket id -> ticket JSON
  ARGV[1] prefix of ticket keys, ARGV[2] ticket id, ARGV[3] creation time (ms), ARGV[4] ticket JSON, ARGV[5] queue,
  ARGV[6] the ticket's player ids joined by spaces

  Returns {1} when added, {0, <open ticket id>} when a player has an open ticket (nothing written).
]]
for p in string.gmatch(ARGV[6], '%S+') do
  local open = redis.call('HGET', KEYS[1], p)
  if open and redis.call('HGET', ARGV[1] .. open, 'status') == 'searching' then return {0, open} end
end
local key = ARGV[1] .. ARGV[2]
redis.call('HSET', key, 'json', ARGV[4], 'status', 'searching', 'queue', ARGV[5], 'players', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
for p in string.gmatch(ARGV[6], '%S+') do redis.call('HSET', KEYS[1], p, ARGV[2]) end
return {1}
