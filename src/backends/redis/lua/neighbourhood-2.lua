--[[
  How many entries of a leaderboard sorted set are ahead of a key (score, member) that need not be in the set,
  and the entries just ahead of and behind it: the per-region part of an exact global rank and of around-me.
  Read-only. O(log(ties) * log N): entries with a lower score are counted with ZCOUNT, and among the entries
  with the same score a binary search by position finds where the member would go.

  KEYS[1] the sorted set, KEYS[2] the set's marker
  ARGV[1] score of the key (decimal integer), ARGV[2] member of the key (<14 hex digits of at>:<playerId>)
  ARGV[3] how many entries ahead of the key to return, ARGV[4] how many behind it (the key's own entry excluded)

  Returns {ahead, {member, score, ...} ahead of the key, {member, score, ...} behind it},
  or ErrorCode -1 when the marker is missing.
]]
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end

-- Redis orders members by their bytes; Lua's '<' on strings follows the locale, so compare bytes here.
local function bytes_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local score, member = ARGV[1], ARGV[2]
local lo = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. score)
local hi = lo + redis.call('ZCOUNT', KEYS[1], score, score)
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local m = redis.call('ZRANGE', KEYS[1], mid, mid)[1]
  if bytes_less(m, member) then lo = mid + 1 else hi = mid end
end
local ahead = lo

local own = redis.call('ZSCORE', KEYS[1], member)
local skip = 0
if own and tonumber(own) == tonumber(score) then skip = 1 end

local above, below = tonumber(ARGV[3]), tonumber(ARGV[4])
local before, after = {}, {}
local from = math.max(0, ahead - above)
if ahead > from then before = redis.call('ZRANGE', KEYS[1], from, ahead - 1, 'WITHSCORES') end
if below > 0 then after = redis.call('ZRANGE', KEYS[1], ahead + skip, ahead + skip + below - 1, 'WITHSCORES') end
return {ahead, before, after}
