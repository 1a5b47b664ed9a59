--[[
  Sliding-window check-and-add of every anti-cheat rate rule one write meets, for one player: rate-window-1.lua for
  each window in turn, in one call (one command to encode, send and parse instead of one per window).
  Any number of keys (the caller passes their count first); all must hash to one slot, so it is used on one Redis,
  not on a cluster, where the windows of one write live on different masters.

  KEYS[i] window i: a sorted set, member "<amount>:<unique id>", score = time in ms
  ARGV[1] now (ms), ARGV[2] unique id of this write (window i adds the member "<amount>:<id>.<i>"),
  then for window i, ARGV[2 + 4i - 3 .. 2 + 4i]: window length (ms), limit, amount (integer >= 1),
  "1": add nothing when the limit would be passed, "0": add anyway

  Returns {added_1 (1 or 0), total of window 1 before this amount, added_2, total_2, ...}.
]]
local now = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local base = 2 + 4 * (i - 1)
  local windowMs = ARGV[base + 1]
  local amount = tonumber(ARGV[base + 3])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - tonumber(windowMs))
  local total = 0
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    total = total + tonumber(string.match(member, '^(%d+):'))
  end
  if ARGV[base + 4] == '1' and total + amount > tonumber(ARGV[base + 2]) then
    out[#out + 1] = 0
  else
    redis.call('ZADD', key, now, ARGV[base + 3] .. ':' .. ARGV[2] .. '.' .. i)
    redis.call('PEXPIRE', key, windowMs)
    out[#out + 1] = 1
  end
  out[#out + 1] = tostring(total)
end
return out
