--[[
  Takes or renews a matchmaking lease (one matcher per queue in the fleet).

  KEYS[1] the lease key
  ARGV[1] the holder's id, ARGV[2] time to live in milliseconds

  Returns 1 if the caller holds the lease now, 0 if someone else does.
]]
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
