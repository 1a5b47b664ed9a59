--[[
  Stores the result of a match once.

  KEYS[1] the match's key, KEYS[2] zset of match ids whose result is not yet applied to the ratings
  ARGV[1] match id, ARGV[2] result JSON, ARGV[3] now (ms)

  Returns 1 when stored, 0 when the match already has a result, -1 when the match is unknown.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[1], 'result', ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
