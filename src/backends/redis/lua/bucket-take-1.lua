--[[
  Takes up to n tokens from a token bucket shared by every instance of a fleet (rate limits).

  KEYS[1] the bucket: hash {tokens, at (ms, Redis's clock)}; absent = full
  ARGV[1] rate: tokens added per second (> 0)
  ARGV[2] capacity: rate + burst
  ARGV[3] n: tokens wanted (>= 1)

  Returns {granted (0..n), retry after in ms (0 when all n were granted)}.
  Redis's own clock (TIME) is used, so the instances' clocks never matter. The key expires once the bucket would
  be full again: an idle caller costs nothing.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, capacity, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if stored[1] then
  tokens = math.min(capacity, tonumber(stored[1]) + math.max(0, now - tonumber(stored[2])) * rate / 1000)
end
local granted = math.max(0, math.min(want, math.floor(tokens)))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
local retry = 0
if granted < want then retry = math.ceil((1 - (tokens - math.floor(tokens))) / rate * 1000) end
return {granted, retry}
