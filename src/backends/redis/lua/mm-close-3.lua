--[[
  Closes searching matchmaking tickets of one queue as cancelled or expired; other tickets are left as they are.

  KEYS[1] hash player id -> open ticket id, KEYS[2] the queue's zset of searching ticket ids,
  KEYS[3] the queue's hash of searching ticket id -> ticket JSON
  ARGV[1] prefix of ticket keys, ARGV[2] new status, ARGV[3] how long a closed ticket stays readable (ms),
  ARGV[4] queue, ARGV[5..] ticket ids

  Returns one string per ticket id: 'ok' (closed now), its status when no longer searching, or 'missing'.
]]
local out = {}
for i = 5, #ARGV do
  local id = ARGV[i]
  local key = ARGV[1] .. id
  local status = redis.call('HGET', key, 'status')
  if not status or redis.call('HGET', key, 'queue') ~= ARGV[4] then
    out[#out + 1] = 'missing'
  elseif status ~= 'searching' then
    out[#out + 1] = status
  else
    redis.call('HSET', key, 'status', ARGV[2])
    for p in string.gmatch(redis.call('HGET', key, 'players') or '', '%S+') do
      if redis.call('HGET', KEYS[1], p) == id then redis.call('HDEL', KEYS[1], p) end
    end
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('PEXPIRE', key, ARGV[3])
    out[#out + 1] = 'ok'
  end
end
return out
