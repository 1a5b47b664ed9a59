--[[
  The first entries of the union of several leaderboard sorted sets of one Redis (the regions of a board season on a
  single node): a k-way merge done here, so one call answers and only the merged entries travel. Read-only.
  Each set is read lazily in chunks, so a set that contributes little is read little (top 100 of 4 even regions
  reads about 4 x 29 entries, not 4 x 100).

  numkeys 2 x sets; KEYS[2i-1] the i-th sorted set, KEYS[2i] its marker
  ARGV[1] how many entries to return (>= 1)

  Returns {member, score, member, score, ...} in rank order (scores as strings, exact), or ErrorCode -1 when the
  marker of any of the sets is missing.
  Order: score ascending, then member bytes (<14 hex digits of at>:<playerId>), as Redis orders one set.
]]
local sets = #KEYS / 2
for i = 1, sets do
  if redis.call('EXISTS', KEYS[2 * i]) == 0 then return -1 end
end

-- Redis orders members by their bytes; Lua's '<' on strings follows the locale, so compare bytes here.
local function bytes_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local count = tonumber(ARGV[1])
-- A chunk a little over an even share: an uneven set reads one more chunk, which costs less than reading more
-- from every set every time.
local chunk = math.min(count, math.ceil(count / sets) + 4)
-- Per set: the current chunk {member, score, ...}, the position in it of the head entry, the head's score as a
-- number (nil once the set is exhausted), how far the set was read, and whether it has nothing more.
local items, at, head, fetched, last = {}, {}, {}, {}, {}
local function fill(i)
  local from = fetched[i]
  local got = redis.call('ZRANGE', KEYS[2 * i - 1], from, from + chunk - 1, 'WITHSCORES')
  local n = #got
  items[i], at[i] = got, 1
  fetched[i] = from + n / 2
  last[i] = n < 2 * chunk
  head[i] = n > 0 and tonumber(got[2]) or nil
end
for i = 1, sets do
  fetched[i] = 0
  fill(i)
end

local out, n = {}, 0
while n < 2 * count do
  local best, best_score
  for i = 1, sets do
    local score = head[i]
    if score and (not best or score < best_score or (score == best_score and bytes_less(items[i][at[i]], items[best][at[best]]))) then
      best, best_score = i, score
    end
  end
  if not best then break end
  local chunk_items, h = items[best], at[best]
  out[n + 1] = chunk_items[h]
  out[n + 2] = chunk_items[h + 1]
  n = n + 2
  h = h + 2
  if chunk_items[h] then
    at[best] = h
    head[best] = tonumber(chunk_items[h + 1])
  elseif last[best] then
    head[best] = nil
  else
    fill(best)
  end
end
return out
