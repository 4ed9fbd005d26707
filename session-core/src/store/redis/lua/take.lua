-- Renewal, first step: removes the live session under its old id and returns
-- its fields, so the old id is dead before the new one exists.
-- ARGV[1], ARGV[2]: channel and message published when it was live (see announce in common.lua);
--          renewal.rs passes none: the new id's save announces the renewal.
-- Returns nil when there is no live session.
local hash, marker = KEYS[1], KEYS[2]
if redis.call('EXISTS', marker) == 0 then
  return false
end
local fields = read_hash(hash)
redis.call('DEL', hash, marker)
if #fields == 0 then
  return false
end
announce(ARGV[1], ARGV[2])
return fields
