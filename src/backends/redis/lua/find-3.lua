--[[
  A player's entry of a leaderboard sorted set and its position.

  KEYS[1] the sorted set, KEYS[2] hash playerId -> member, KEYS[3] the set's marker
  ARGV[1] playerId

  Returns {score (string, exact), member, position (0-based)}, nil when the player has no entry,
  or ErrorCode -1 when the marker is missing.
]]
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local member = redis.call('HGET', KEYS[2], ARGV[1])
if not member then return false end
local score = redis.call('ZSCORE', KEYS[1], member)
if not score then return false end
return {score, member, redis.call('ZRANK', KEYS[1], member)}
