-- Stores a player's state in the cache unless it already holds the same or a newer seq.
-- KEYS[1]  the player's cache key
-- ARGV[1]  seq of the state (decimal integer)
-- ARGV[2]  the state as JSON
-- ARGV[3]  time-to-live in milliseconds
-- Returns 1 when stored, 0 when the cached entry was as new or newer (it is left as it is).
-- The value is "<seq>:<json>", so a reader gets seq and state with one GET/MGET.
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, ':', 1, true)
  if sep and tonumber(string.sub(current, 1, sep - 1)) >= tonumber(ARGV[1]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'PX', ARGV[3])
return 1
