--[[
  Claims the tickets of one match: all of them, only if every one is still searching in the match's queue.
  This is the one place a ticket becomes matched, so a ticket is never in two matches, whoever runs the matcher.

  KEYS[1] hash player id -> open ticket id, KEYS[2] the queue's zset of searching ticket ids,
  KEYS[3] the queue's hash of searching ticket id -> ticket JSON, KEYS[4] zset of matches to publish,
  KEYS[5] the queue's zset of recent match ids by time, KEYS[6] the match's key, KEYS[7] the queue's match counter
  ARGV[1] prefix of ticket keys, ARGV[2] match id, ARGV[3] match JSON, ARGV[4] now (ms),
  ARGV[5] how long tickets and the match stay readable (ms), ARGV[6] queue,
  ARGV[7] how many of the newest matches KEYS[5] keeps once older than a minute, ARGV[8..] ticket ids

  Returns {1, <the match's number in its queue, its seq on the stream>} when claimed, {0, <ticket id>...} listing the tickets no longer searching (nothing written).
]]
local gone = {0}
for i = 8, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  if redis.call('HGET', key, 'status') ~= 'searching' or redis.call('HGET', key, 'queue') ~= ARGV[6] then gone[#gone + 1] = ARGV[i] end
end
if #gone > 1 then return gone end
for i = 8, #ARGV do
  local id = ARGV[i]
  local key = ARGV[1] .. id
  redis.call('HSET', key, 'status', 'matched', 'matchId', ARGV[2])
  for p in string.gmatch(redis.call('HGET', key, 'players') or '', '%S+') do
    if redis.call('HGET', KEYS[1], p) == id then redis.call('HDEL', KEYS[1], p) end
  end
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('PEXPIRE', key, ARGV[5])
end
local seq = redis.call('INCR', KEYS[7])
redis.call('HSET', KEYS[6], 'json', ARGV[3], 'seq', seq)
redis.call('PEXPIRE', KEYS[6], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[2])
-- Everything of the last minute (the queue's matches per minute) and at least the ARGV[7] newest (the console's list):
-- with fewer than ARGV[7] there is nothing to trim.
local nth = redis.call('ZRANGE', KEYS[5], -tonumber(ARGV[7]), -tonumber(ARGV[7]), 'WITHSCORES')
if nth[2] ~= nil then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. math.min(tonumber(ARGV[4]) - 60000, tonumber(nth[2])))
end
return {1, seq}
