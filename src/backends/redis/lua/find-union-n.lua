--[[
  A player's entry in the union of several leaderboard sorted sets of one Redis (the regions of a board season on a
  single node) and its exact position in that union: where the player is (normally one set; the best entry if a
  region move left two), its position there, and how many entries of every other set are ahead of it. One call for
  what otherwise takes a find per set and then a count per other set. Read-only.
  O(sets * log N) with few ties: entries with a lower score are counted with ZCOUNT, and those with the same score
  are read and compared when they are few, or searched by position (O(log(ties) * log N)) when they are many.

  numkeys 3 x sets; KEYS[3i-2] the i-th sorted set, KEYS[3i-1] its hash playerId -> '<at>|<score>' (or, from an older version, the member), KEYS[3i] its marker
  ARGV[1] playerId

  Returns {score (string, exact), member, position in the union (0-based)}, nil when the player has no entry in any
  of the sets, or ErrorCode -1 when the marker of any of the sets is missing.
]]
local sets = #KEYS / 3
local markers = {}
for i = 1, sets do markers[i] = KEYS[3 * i] end
if redis.call('EXISTS', unpack(markers)) ~= sets then return -1 end

local function bytes_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local TIES_READ = 16
local own, member, score, score_text
for i = 1, sets do
  local m = redis.call('HGET', KEYS[3 * i - 1], ARGV[1])
  -- The hash holds '<at>|<score>' of the entry (or, written by an older version, the member itself).
  if m and string.sub(m, 15, 15) == '|' then m = string.sub(m, 1, 14) .. ':' .. ARGV[1] end
  if m then
    local s = redis.call('ZSCORE', KEYS[3 * i - 2], m)
    if s then
      local n = tonumber(s)
      if not own or n < score or (n == score and bytes_less(m, member)) then
        own, member, score, score_text = i, m, n, s
      end
    end
  end
end
if not own then return false end

local position = redis.call('ZRANK', KEYS[3 * own - 2], member)
for i = 1, sets do
  if i ~= own then
    local z = KEYS[3 * i - 2]
    local lo = redis.call('ZCOUNT', z, '-inf', '(' .. score_text)
    -- The entries with the same score: a few are read and compared; many are searched by position.
    local tied = redis.call('ZRANGEBYSCORE', z, score_text, score_text, 'LIMIT', 0, TIES_READ)
    if #tied < TIES_READ then
      for k = 1, #tied do
        if bytes_less(tied[k], member) then lo = lo + 1 end
      end
    else
      local hi = lo + redis.call('ZCOUNT', z, score_text, score_text)
      while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        local m = redis.call('ZRANGE', z, mid, mid)[1]
        if bytes_less(m, member) then lo = mid + 1 else hi = mid end
      end
    end
    position = position + lo
  end
end
return {score_text, member, position}
