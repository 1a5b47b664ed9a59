--[[
  Sliding-window check-and-add of one anti-cheat rate rule for one player.

  KEYS[1] the window: a sorted set, member "<amount>:<unique id>", score = time in ms
  ARGV[1] now (ms), ARGV[2] window length (ms), ARGV[3] limit, ARGV[4] amount (integer >= 1),
  ARGV[5] unique id of this write, ARGV[6] "1": add nothing when the limit would be passed, "0": add anyway

  Returns {added (1 or 0), total of the window before this amount}.
]]
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local total = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  total = total + tonumber(string.match(member, '^(%d+):'))
end
local amount = tonumber(ARGV[4])
if ARGV[6] == '1' and total + amount > tonumber(ARGV[3]) then return {0, tostring(total)} end
redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, tostring(total)}
