--[[
  Takes one amount back out of an anti-cheat rate window (the write it counted was refused or failed).

  KEYS[1] the window (sorted set), KEYS[2] its running figures (hash {n, s}), as in rate-windows-n.lua
  ARGV[1] the member to remove, ARGV[2] its amount

  Returns 1 if the member was there, 0 if not (it had left the window already).
]]
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'n', -1)
  redis.call('HINCRBY', KEYS[2], 's', -tonumber(ARGV[2]))
end
return 1
