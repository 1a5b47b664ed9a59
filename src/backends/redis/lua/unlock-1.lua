--[[
  Releases the rebuild lock of a leaderboard sorted set if this caller still holds it.

  KEYS[1] the lock key
  ARGV[1] the holder's token

  Returns 1 if released, 0 if the lock was not ours (it expired and someone else took it).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
