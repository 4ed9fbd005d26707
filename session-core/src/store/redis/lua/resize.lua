-- resize: adds to a session's size counters (`meta`'s attribute count and
-- bytes) what an attribute-only write (attribute_write.rs) changed.
-- ARGV and the reply: `ResizeArgs` in script_calls/resize.rs (count change,
-- bytes change, tracked flag; 1, or 0 when the hash holds no format-4 metadata).
local hash = KEYS[1]
local creation, accessed, interval, expires, count, bytes = stored_meta(hash)
if not creation then
  return 0
end
redis.call('HSET', hash, 'meta', meta_value(creation, accessed, interval, expires, count + ARGV[1], bytes + ARGV[2]))
if ARGV[3] == '1' then
  -- Read last: Redis stops tracking a key for the client that wrote it.
  redis.call('HGET', hash, 'version')
end
return 1
