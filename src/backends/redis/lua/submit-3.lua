--[[
  Applies a score operator to a player's entry of a leaderboard sorted set, atomically.

  KEYS[1] the sorted set: score = the entry's score (lower ranks first), member = <14 hex digits of at>:<playerId>,
          so equal scores order by time, then by player id (Redis orders equal scores by member bytes)
  KEYS[2] hash playerId -> member (the player's current member)
  KEYS[3] the set's marker: present while the set is complete
  ARGV[1] playerId
  ARGV[2] op: min | set | add
  ARGV[3] value: decimal integer, |value| <= 2^53-1
  ARGV[4] at for a score that changes: 14 hex digits
  ARGV[5] '1': write nothing and return nil when the player has no entry in this set; '0' otherwise
  ARGV[6] score carried from another set ('' for none)
  ARGV[7] at of the carried score (14 hex digits, '' for none)

  Returns {score, member, position (0-based), changed (1 or 0)}, nil (absent and ARGV[5] = '1'),
  or an ErrorCode: -1 the marker is missing, -2 the score would leave +-(2^53-1).

  Exactness: every score is an integer within 2^53-1, which a double (Lua number, Redis score) holds exactly.
  Numbers go back to Redis only through redis.call (formatted with 17 significant digits) or as integer
  replies, never through tostring or '..' (14 digits), so no digit is lost.
]]
local MAX = 9007199254740991
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end

local player = ARGV[1]
local op = ARGV[2]
local value = tonumber(ARGV[3])

local old = redis.call('HGET', KEYS[2], player)
local old_score
if old then
  old_score = redis.call('ZSCORE', KEYS[1], old)
  if old_score then old_score = tonumber(old_score) else old = false end
end
if not old and ARGV[5] == '1' then return false end

-- The base the operator applies to: the entry here, combined with a carried one (see the port's SubmitRequest).
local base_score, base_at = old_score, old and string.sub(old, 1, 14)
if ARGV[6] ~= '' then
  local carry_score, carry_at = tonumber(ARGV[6]), ARGV[7]
  if not base_score then
    base_score, base_at = carry_score, carry_at
  elseif op == 'min' then
    if carry_score < base_score or (carry_score == base_score and tonumber(carry_at, 16) < tonumber(base_at, 16)) then
      base_score, base_at = carry_score, carry_at
    end
  elseif op == 'add' then
    base_score = base_score + carry_score
    if math.abs(base_score) > MAX then return -2 end
  end
end

local score
if op == 'set' then
  score = value
elseif op == 'min' then
  if base_score and base_score <= value then score = base_score else score = value end
else
  score = (base_score or 0) + value
  if math.abs(score) > MAX then return -2 end
end

local changed = (not base_score) or score ~= base_score
local at = ARGV[4]
if not changed then at = base_at end
local member = at .. ':' .. player

if old ~= member or old_score ~= score then
  if old then redis.call('ZREM', KEYS[1], old) end
  redis.call('ZADD', KEYS[1], score, member)
  redis.call('HSET', KEYS[2], player, member)
end
return {score, member, redis.call('ZRANK', KEYS[1], member), changed and 1 or 0}
