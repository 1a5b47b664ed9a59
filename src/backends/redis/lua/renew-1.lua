--[[
  Extends the rebuild lock of a leaderboard sorted set while a long rebuild runs.

  KEYS[1] the lock key
  ARGV[1] the holder's token, ARGV[2] new time to live in milliseconds

  Returns 1 if extended, 0 if the lock is no longer ours.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
