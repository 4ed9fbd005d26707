-- refresh: extends a live session's lifetime after a read (the idle timer),
-- sent when the stored deadline is more than the refresh window behind what an
-- access now gives; never creates anything.
-- ARGV[1]: now, epoch milliseconds (the new lastAccessedTime).
-- ARGV[2..5]: the expiration rule (common.lua).
-- Returns 1, or 0 when the session is gone (or its metadata is unreadable).
local hash, marker = KEYS[1], KEYS[2]
if redis.call('EXISTS', marker) == 0 then
  return 0
end
local creation = number(redis.call('HGET', hash, 'creationTime'))
local interval = number(redis.call('HGET', hash, 'maxInactiveInterval'))
if creation == nil or interval == nil then
  return 0
end
redis.call('HSET', hash, 'lastAccessedTime', ARGV[1])
apply_ttl(hash, marker, time_to_live({ARGV[2], ARGV[3], ARGV[4], ARGV[5]}, creation, interval))
-- Read last, so that a near cache keeps tracking the key (see save.lua).
redis.call('HGET', hash, 'rev')
return 1
