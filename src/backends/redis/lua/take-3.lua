--[[
  Removes a player's entry from a leaderboard sorted set and returns it (a player moving to another region).

  KEYS[1] the sorted set, KEYS[2] hash playerId -> '<at>|<score>' (or, from an older version, the member), KEYS[3] the set's marker
  ARGV[1] playerId

  Returns {score (as Redis prints it: 17 significant digits, exact for integers), member}, nil when the player
  has no entry, or ErrorCode -1 when the marker is missing.
]]
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if not stored then return false end
-- The hash holds '<at>|<score>' of the entry (or, written by an older version, the member itself).
local member = stored
if string.sub(stored, 15, 15) == '|' then member = string.sub(stored, 1, 14) .. ':' .. ARGV[1] end
local score = redis.call('ZSCORE', KEYS[1], member)
redis.call('ZREM', KEYS[1], member)
redis.call('HDEL', KEYS[2], ARGV[1])
if not score then return false end
return {score, member}
