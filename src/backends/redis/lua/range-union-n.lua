--[[
  The first entries of the union of several leaderboard sorted sets of one Redis (the regions of a board season on a
  single node), in one call. Read-only.
  Each set's best entries are read in chunks until they are known to hold the answer: with T the lowest score among
  the last entries read of the sets not read to their end, every entry scoring below T has been read (each set is read
  in order), and when there are `count` such entries (ZCOUNT, in C) the answer is among what was read. The chunks are
  returned as they are and the caller merges them: no per-entry work here. Top 100 of 4 even regions reads about
  4 x 32 entries. A board whose best entries share one score (the count below T never grows) falls back to merging
  here, entry by entry, reading each set only as far as the merge needs.

  numkeys 2 x sets; KEYS[2i-1] the i-th sorted set, KEYS[2i] its marker
  ARGV[1] how many entries to return (>= 1)

  Returns a list of lists {member, score, member, score, ...}, each in rank order (scores as strings, exact): the
  first `count` entries of their merge are the answer. ErrorCode -1 when the marker of any of the sets is missing.
  Order: score ascending, then member bytes (<14 hex digits of at>:<playerId>), as Redis orders one set.
]]
local sets = #KEYS / 2
local markers = {}
for i = 1, sets do markers[i] = KEYS[2 * i] end
if redis.call('EXISTS', unpack(markers)) ~= sets then return -1 end

local count = tonumber(ARGV[1])
-- A chunk a fifth over an even share: even sets are then known complete after one chunk each, most of the time.
local chunk = math.min(count, math.ceil(count * 1.2 / sets) + 2)

-- Per set: the entries read so far {member, score, ...} and whether the set is read to its end.
local read, done = {}, {}
local function more(i)
  local list = read[i]
  local from = #list / 2
  local got = redis.call('ZRANGE', KEYS[2 * i - 1], from, from + chunk - 1, 'WITHSCORES')
  for k = 1, #got do list[#list + 1] = got[k] end
  done[i] = #got < 2 * chunk
end
for i = 1, sets do
  read[i] = {}
  more(i)
end

-- A few rounds of reading on: each reads one more chunk of the set whose last entry is lowest.
for _ = 1, 4 do
  local low, low_score, low_text
  for i = 1, sets do
    local list = read[i]
    if not done[i] then
      local s = tonumber(list[#list])
      if not low or s < low_score then low, low_score, low_text = i, s, list[#list] end
    end
  end
  if not low then return read end
  local below = 0
  for i = 1, sets do below = below + redis.call('ZCOUNT', KEYS[2 * i - 1], '-inf', '(' .. low_text) end
  if below >= count then return read end
  more(low)
end

-- Ties at the boundary: merge here, entry by entry. Redis orders members by their bytes; Lua's '<' on strings
-- follows the locale, so compare bytes.
local function bytes_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local at = {}
for i = 1, sets do at[i] = 1 end
local out, n = {}, 0
while n < 2 * count do
  local best, best_score
  for i = 1, sets do
    local list = read[i]
    if not list[at[i]] and not done[i] then more(i) end
    local member = list[at[i]]
    if member then
      local score = tonumber(list[at[i] + 1])
      if not best or score < best_score or (score == best_score and bytes_less(member, read[best][at[best]])) then
        best, best_score = i, score
      end
    end
  end
  if not best then break end
  local list, h = read[best], at[best]
  out[n + 1] = list[h]
  out[n + 2] = list[h + 1]
  n = n + 2
  at[best] = h + 2
end
return {out}
