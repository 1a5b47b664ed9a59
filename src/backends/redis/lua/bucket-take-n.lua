--[[
  Takes up to n tokens from each of several token buckets shared by every instance of a fleet (rate limits): the
  checks one instance makes in one turn of its event loop, in one call.

  KEYS[i]  a bucket: hash {tokens, at (ms, Redis's clock)}; absent = full
  ARGV[3i-2] its rate: tokens added per second (> 0)
  ARGV[3i-1] its capacity: rate + burst
  ARGV[3i]   n: tokens wanted (>= 1)

  Returns {granted_1, retry_1, granted_2, retry_2, ...}: per bucket, in order, the tokens granted (0..n) and the
  milliseconds until the next token (0 when all n were granted). A bucket named twice is taken from twice, in order.
  Redis's own clock (TIME) is used, so the instances' clocks never matter. A key expires once its bucket would be
  full again: an idle caller costs nothing.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local rate, capacity, want = tonumber(ARGV[3 * i - 2]), tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local stored = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = capacity
  if stored[1] then
    tokens = math.min(capacity, tonumber(stored[1]) + math.max(0, now - tonumber(stored[2])) * rate / 1000)
  end
  local granted = math.max(0, math.min(want, math.floor(tokens)))
  tokens = tokens - granted
  redis.call('HSET', key, 'tokens', string.format('%.6f', tokens), 'at', now)
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / rate * 1000) + 1000)
  local retry = 0
  if granted < want then retry = math.ceil((1 - (tokens - math.floor(tokens))) / rate * 1000) end
  out[2 * i - 1] = granted
  out[2 * i] = retry
end
return out
