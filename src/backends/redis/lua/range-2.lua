--[[
  A slice of a leaderboard sorted set by position.

  KEYS[1] the sorted set, KEYS[2] the set's marker
  ARGV[1] first position (0-based), ARGV[2] last position (inclusive)

  Returns {member, score, member, score, ...} (scores as strings, exact), or ErrorCode -1 when the marker is missing.
]]
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
return redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES')
