--[[
  Sliding-window check-and-add of the anti-cheat rate rules one write meets, for one player: each window in turn.
  Any number of keys (the caller passes their count first), two per window, in one slot per call: on one Redis every
  window of a write goes in one call; on a cluster, where the windows of a write live on different masters, one call
  per window.

  KEYS[2i-1] window i: a sorted set, member "<amount>:<unique id>.<i>", score = time in ms
  KEYS[2i]   its running figures: a hash {n = members, s = sum of their amounts}, so a call costs O(log N + expired)
             instead of reading the whole window. The figures count only while n equals the sorted set's size; else
             (an older version wrote the window, a key was evicted) the sum is read from the members again.
  ARGV[1] now (ms), ARGV[2] unique id of this write,
  then for window i, ARGV[2 + 4i - 3 .. 2 + 4i]: window length (ms), limit, amount (integer >= 1),
  "1": add nothing when the limit would be passed, "0": add anyway

  Returns {added_1 (1 or 0), total of window 1 before this amount, added_2, total_2, ...}.
]]
local now = tonumber(ARGV[1])
local function amountOf(member)
  return tonumber(string.match(member, '^(%d+):'))
end
local out = {}
for i = 1, #KEYS / 2 do
  local key = KEYS[2 * i - 1]
  local figures = KEYS[2 * i]
  local base = 2 + 4 * (i - 1)
  local windowMs = ARGV[base + 1]
  local amount = tonumber(ARGV[base + 3])
  local cutoff = now - tonumber(windowMs)
  local n = redis.call('ZCARD', key)
  local kept = redis.call('HMGET', figures, 'n', 's')
  local total
  if n > 0 and tonumber(kept[1]) == n then
    total = tonumber(kept[2])
    local gone = redis.call('ZRANGEBYSCORE', key, '-inf', cutoff)
    if #gone > 0 then
      for _, member in ipairs(gone) do total = total - amountOf(member) end
      redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
      n = n - #gone
    end
  else
    redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
    total = 0
    for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do total = total + amountOf(member) end
    n = redis.call('ZCARD', key)
  end
  local before = total
  local added = 0
  if ARGV[base + 4] ~= '1' or total + amount <= tonumber(ARGV[base + 2]) then
    redis.call('ZADD', key, now, ARGV[base + 3] .. ':' .. ARGV[2] .. '.' .. i)
    redis.call('PEXPIRE', key, windowMs)
    n = n + 1
    total = total + amount
    added = 1
  end
  if n > 0 then
    redis.call('HSET', figures, 'n', n, 's', total)
    redis.call('PEXPIRE', figures, windowMs)
  else
    redis.call('DEL', figures)
  end
  out[#out + 1] = added
  out[#out + 1] = tostring(before)
end
return out
