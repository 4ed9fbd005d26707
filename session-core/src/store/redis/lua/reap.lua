-- Expiry: run by every subscribed instance when the marker's `expired`
-- notification arrives; idempotent.
-- ARGV[1]: 'destroy' (delete the hash now) or 'invalidate' (keep it readable
--          LINGER_MS longer, for the other instances' listeners).
-- ARGV[2]: '1' to return every field, '' for the index fields only.
-- Returns {0, 0} when the id is live again (a new session saved under it: not
-- ours to touch), else {1, first, field1, value1, ...}: first is 1 for the one
-- instance that should remove the index entries.
local hash, marker = KEYS[1], KEYS[2]
if redis.call('EXISTS', marker) == 1 then
  return {0, 0}
end
local fields = read_hash(hash)
if #fields == 0 then
  return {1, 0}
end
-- 'reaped' has no ':' so it cannot collide with attributes; decoding ignores it.
local first = redis.call('HSETNX', hash, 'reaped', '1')
if ARGV[1] == 'destroy' then
  redis.call('DEL', hash)
else
  local ttl = redis.call('PTTL', hash)
  if ttl < 0 or ttl > LINGER_MS then
    redis.call('PEXPIRE', hash, LINGER_MS)
  end
end
return append_fields({1, first}, fields, ARGV[2] == '1')
