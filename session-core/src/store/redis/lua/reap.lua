-- Expiry: run by every subscribed instance when the marker's `expired`
-- notification arrives; idempotent.
-- ARGV and the reply: `ReapArgs` and `ReapReply` in script_calls/reap.rs, the
-- one definition of their layout (action, all-fields flag; {0, 0} when live
-- again, else {1, first, field1, value1, ...}).
local hash, marker = KEYS[1], KEYS[2]
if redis.call('EXISTS', marker) == 1 then
  return {0, 0}
end
local values = read_values(hash)
if #values == 0 then
  return {1, 0}
end
-- 'reaped' has no ':' so it cannot collide with attributes; its value is
-- neither tagged nor a number, so decoding ignores it.
local first = redis.call('HSETNX', hash, 'reaped', 'r')
if ARGV[1] == 'destroy' then
  redis.call('DEL', hash)
else
  local ttl = redis.call('PTTL', hash)
  if ttl < 0 or ttl > LINGER_MS then
    redis.call('PEXPIRE', hash, LINGER_MS)
  end
end
return append_values({1, first}, values, ARGV[2] == '1')
