--[[
  The first entries of the union of several leaderboard sorted sets of one Redis (the regions of a board season on a
  single node): a k-way merge done here, so one call answers and only the merged entries travel. Read-only.
  Each set is read lazily in chunks, so a set that contributes little is read little (top 100 of 4 even regions
  reads about 4 x 41 entries, not 4 x 100).

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
local chunk = math.min(count, math.ceil(count / sets) + 16)
-- buffers[i]: the set's current chunk {member, score, ...}; scores[i]: its scores as numbers, read once.
local buffers, scores, heads, fetched, done = {}, {}, {}, {}, {}
local function fill(i)
  local from = fetched[i]
  local items = redis.call('ZRANGE', KEYS[2 * i - 1], from, from + chunk - 1, 'WITHSCORES')
  local numbers = {}
  for j = 2, #items, 2 do numbers[j] = tonumber(items[j]) end
  buffers[i], scores[i], heads[i] = items, numbers, 1
  fetched[i] = from + #items / 2
  if #items < 2 * chunk then done[i] = true end
end
for i = 1, sets do
  fetched[i] = 0
  fill(i)
end

local out = {}
while #out < 2 * count do
  local best, best_score
  for i = 1, sets do
    if heads[i] > #buffers[i] and not done[i] then fill(i) end
    local h = heads[i]
    if h <= #buffers[i] then
      local score = scores[i][h + 1]
      if not best or score < best_score or (score == best_score and bytes_less(buffers[i][h], buffers[best][heads[best]])) then
        best, best_score = i, score
      end
    end
  end
  if not best then break end
  local h = heads[best]
  out[#out + 1] = buffers[best][h]
  out[#out + 1] = buffers[best][h + 1]
  heads[best] = h + 2
end
return out
