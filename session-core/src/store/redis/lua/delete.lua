-- delete_by_id: removes a session (hash and marker).
-- ARGV[1]: '1' to return every field (listeners want the last state), '' for
--          the index fields only.
-- ARGV[2], ARGV[3]: channel and message published when a live session is deleted
--          (see announce in common.lua).
-- Returns {live, field1, value1, ...}; live is 0 for an unknown id or a
-- session that had already expired (its index fields still come back, so
-- their sets drop it).
local hash, marker = KEYS[1], KEYS[2]
local live = redis.call('EXISTS', marker) == 1
local fields = read_hash(hash)
live = live and #fields > 0
redis.call('DEL', hash, marker)
if live then
  announce(ARGV[2], ARGV[3])
  return append_fields({1}, fields, ARGV[1] == '1')
end
return append_fields({0}, fields, false)
