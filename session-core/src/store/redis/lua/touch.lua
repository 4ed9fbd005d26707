-- refresh: extends a live session's lifetime after a read (the idle timer),
-- sent when the stored deadline is more than the refresh window behind what an
-- access now gives; never creates anything.
-- ARGV and the reply: `TouchArgs` in script_calls/touch.rs, the one definition
-- of their layout (now, expiration rule, tracked flag; 1, or 0 when gone).

-- `meta`'s expiresAt for `ttl` from `now`: epoch milliseconds of the
-- application's clock (the one readers compare it with), '-1' for never.
local function expires_at(ttl, now)
  if ttl == NEVER or ttl > MAX_TTL_MS then
    return '-1'
  end
  return string.format('%d', now + math.max(ttl, 1))
end

local hash, marker = KEYS[1], KEYS[2]
if redis.call('EXISTS', marker) == 0 then
  return 0
end
local creation, _, interval, _, count, bytes = stored_meta(hash)
if not creation then
  return 0
end
local ttl = time_to_live(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]) or 0, tonumber(creation), tonumber(interval))
local expires = expires_at(ttl, tonumber(ARGV[1]))
redis.call('HSET', hash, 'meta', meta_value(creation, ARGV[1], interval, expires, count, bytes))
set_key_ttls(hash, marker, ttl)
if ARGV[6] == '1' then
  redis.call('HGET', hash, 'version')
end
return 1
