--[[
  Applies a score operator to players' entries of leaderboard sorted sets, atomically: one or several writes (the
  submissions one instance sends in one turn of its event loop), applied in order as if sent one after the other.

  Each set the writes touch has three keys, KEYS[3s-2..3s] for set s (1-based):
    the sorted set: score = the entry's score (lower ranks first), member = <14 hex digits of at>:<playerId>,
      so equal scores order by time, then by player id (Redis orders equal scores by member bytes)
    hash playerId -> '<at>|<score>' of the player's entry (the member is '<at>:<playerId>'), so a write reads its
      entry with one command; a value without '|' is a member written by an older version (its score then comes
      from the sorted set), replaced by the next change
    the set's marker: present while the set is complete
  Each write is four arguments, six when it carries a score from another set, one write after the other in ARGV:
    head: op (m = min, s = set, a = add), then '1' to write nothing and answer nil when the player has no entry in
          this set ('0' otherwise), then 'c' when a carried score follows ('-' otherwise), then the set's number s
    playerId
    value: decimal integer, |value| <= 2^53-1
    at for a score that changes: 14 hex digits
    [score carried from another set, and its at (14 hex digits)]

  Returns one answer per write, in order: {score, member, position (0-based), changed (1 or 0)}, nil (absent and
  the 'only if present' flag set), an ErrorCode (-1 the marker is missing, -2 the score would leave +-(2^53-1)), or
  the error a command of that write met.

  Exactness: every score is an integer within 2^53-1, which a double (Lua number, Redis score) holds exactly.
  Numbers go back to Redis only through redis.call (formatted with 17 significant digits) or as integer
  replies, never through tostring or '..' (14 digits), so no digit is lost.
]]
local MAX = 9007199254740991
local OPS = {m = 'min', s = 'set', a = 'add'}

local function submit(z, h, player, op, value, at, only_if_present, carry_score, carry_at)
  value = tonumber(value)

  local stored = redis.call('HGET', h, player)
  local old, old_score = false, nil
  if stored then
    if string.sub(stored, 15, 15) == '|' then
      old, old_score = string.sub(stored, 1, 14) .. ':' .. player, tonumber(string.sub(stored, 16))
    else
      old_score = redis.call('ZSCORE', z, stored)
      if old_score then old, old_score = stored, tonumber(old_score) end
    end
  end
  if not old and only_if_present == '1' then return false end

  -- The base the operator applies to: the entry here, combined with a carried one (see the port's SubmitRequest).
  local base_score, base_at = old_score, old and string.sub(old, 1, 14)
  if carry_score then
    carry_score = tonumber(carry_score)
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
  if not changed then at = base_at end
  local member = at .. ':' .. player

  if old ~= member or old_score ~= score or string.sub(stored, 15, 15) ~= '|' then
    if old then redis.call('ZREM', z, old) end
    redis.call('ZADD', z, score, member)
    redis.call('HSET', h, player, at .. '|' .. string.format('%.17g', score))
  end
  local position = redis.call('ZRANK', z, member)
  if not position then
    -- The hash named an entry the sorted set does not have (a key evicted on its own): put it back.
    redis.call('ZADD', z, score, member)
    position = redis.call('ZRANK', z, member)
  end
  return {score, member, position, changed and 1 or 0}
end

-- A write that fails (a command refused, out of memory) answers its own error; the writes before it stay applied and
-- answered, and the ones after it are still tried, as if each had been a call of its own.
-- A set's marker is looked at once per call: nothing in this script removes one, so it cannot go in between.
local answers = {}
local complete = {}
local a = 1
while a <= #ARGV do
  local head = ARGV[a]
  local set = 3 * tonumber(string.sub(head, 4)) - 3
  local carry_score, carry_at
  if string.sub(head, 3, 3) == 'c' then carry_score, carry_at = ARGV[a + 4], ARGV[a + 5] end
  if complete[set] == nil then complete[set] = redis.call('EXISTS', KEYS[set + 3]) == 1 end
  local ok, answer = true, -1
  if complete[set] then
    ok, answer = pcall(submit, KEYS[set + 1], KEYS[set + 2], ARGV[a + 1], OPS[string.sub(head, 1, 1)], ARGV[a + 2], ARGV[a + 3], string.sub(head, 2, 2), carry_score, carry_at)
  end
  if ok then
    answers[#answers + 1] = answer
  elseif type(answer) == 'table' and answer.err then
    answers[#answers + 1] = answer
  else
    answers[#answers + 1] = redis.error_reply(tostring(answer))
  end
  if carry_score then a = a + 6 else a = a + 4 end
end
return answers
